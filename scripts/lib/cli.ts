/**
 * The command line of every Node script, parsed one way: each script declares its flags in a
 * small table (kind, range or choices, default, help), optionally takes every knob of the run
 * (src/config/knobs.ts) as a flag too, and gets typed values, `--help` and clear errors. Flag
 * values are read by the knob table's own parser, so `--steps` means the same here as in a link.
 */
import { existsSync, statSync } from 'node:fs';
import { KNOBS, type DistillConfig, KnobError, type Knob, describeValid, parseKnob } from '../../src/config/knobs';
import { PRESET_NAMES } from '../../src/config/presets';
import { NODE_BACKENDS } from '../../src/engine/node';
import { KERNEL_SETS } from '../../src/model/fused';

export interface FlagSpec {
  kind: 'string' | 'int' | 'number' | 'bool' | 'choice' | 'list';
  help: string;
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** The value when the flag is absent (as typed on the command line). */
  default?: string;
  required?: boolean;
  /** A path read by the script: checked when parsed, so that a missing one names its flag. */
  path?: 'file' | 'folder' | 'files';
}

type Value<F extends FlagSpec> = F['kind'] extends 'int' | 'number' ? number : F['kind'] extends 'bool' ? boolean : F['kind'] extends 'list' ? string[] : string;
export type FlagValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]: S[K] extends { default: string } | { required: true } | { kind: 'bool' } ? Value<S[K]> : Value<S[K]> | undefined;
};

export interface Parsed<S extends Record<string, FlagSpec>> {
  flags: FlagValues<S>;
  /** With `knobs`: the knobs given as flags. */
  knobs: Partial<DistillConfig>;
  /** Arguments that are not flags (only where the script takes them). */
  positional: string[];
  /** Whether the flag was given (not defaulted). */
  given(name: keyof S): boolean;
}

export interface CliOptions {
  /** The first line of --help, e.g. "npm run distill -- --preset P [...]". */
  usage: string;
  /** Every knob of the run is a flag too. */
  knobs?: boolean;
  /** Arguments that are not flags, e.g. "the checkpoint" (none allowed when absent). */
  positional?: { name: string; required: boolean; path?: 'file' | 'folder' };
}

/** The tfjs backend flag every script has; `fallback` is the script's default. */
export const backendFlag = (fallback: 'cpu' | 'wasm' | 'webgpu'): FlagSpec & { default: string } => ({ kind: 'choice', choices: NODE_BACKENDS, default: fallback, help: 'tfjs backend in Node (webgpu: Dawn on the Vulkan driver found, or SwiftShader)' });

/** The engine's kernel switch: fused GPU programs where registered (webgpu), or tfjs's generic graph. */
export const kernelsFlag: FlagSpec & { default: string } = { kind: 'choice', choices: KERNEL_SETS, default: 'fused', help: 'fused WebGPU programs (webgpu only; elsewhere the reference runs) or the reference op graph' };

const asKnob = (name: string, f: FlagSpec): Knob<string> => ({ key: name, short: name, kind: f.kind as Knob['kind'], min: f.min, max: f.max, choices: f.choices, help: f.help });

function describe(name: string, f: FlagSpec): string {
  const valid = f.kind === 'string' ? 'text' : f.kind === 'bool' ? 'no value' : describeValid(asKnob(name, f), PRESET_NAMES);
  return `  --${name.padEnd(18)} ${f.help} (${valid}${f.default !== undefined ? `; default ${f.default}` : ''}${f.required ? '; required' : ''})`;
}

export function usage<S extends Record<string, FlagSpec>>(spec: S, o: CliOptions): string {
  return [
    `usage: ${o.usage}`,
    '',
    'options:',
    ...Object.entries(spec).map(([name, f]) => describe(name, f)),
    ...(o.knobs ? ['', 'every knob of the run:', ...KNOBS.map((k) => `  --${k.key.padEnd(18)} ${k.help} (${describeValid(k, PRESET_NAMES)})`)] : []),
  ].join('\n');
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The candidate closest to a mistyped word, if one is close enough to be what was meant. */
export function closest(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  const ranked = candidates.map((c) => ({ c, d: distance(w, c.toLowerCase()) })).sort((a, b) => a.d - b.d);
  const best = ranked[0];
  return best && best.d <= Math.max(2, Math.floor(w.length / 3)) ? best.c : null;
}

/** A flag's name in one style: `--submit-batch` and `--submitBatch` are the same flag. */
const flagKey = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Reads a flag's value with the knob parser; a mistyped choice gets "did you mean". */
function parseValue(k: Knob<string>, text: string): unknown {
  try {
    return parseKnob(k, text, PRESET_NAMES);
  } catch (e) {
    const choices = k.key === 'preset' || k.key === 'presets' ? PRESET_NAMES : k.choices;
    const guess = e instanceof KnobError && choices ? text.split(',').map((t) => (choices.includes(t) ? null : closest(t, choices))).find((x) => x) : null;
    if (guess) throw new KnobError(`${(e as Error).message}; did you mean ${guess}?`);
    throw e;
  }
}

function value(name: string, f: FlagSpec, text: string): unknown {
  if (f.kind === 'string') return text;
  return parseValue(asKnob(name, f), text);
}

/** A path a flag names must be there, and be a file or a folder as the flag reads it. */
export function checkPath(what: string, path: string, kind: 'file' | 'folder'): void {
  if (!existsSync(path)) throw new KnobError(`${what}: ${path} does not exist`);
  const isFolder = statSync(path).isDirectory();
  if (kind === 'file' && isFolder) throw new KnobError(`${what}: ${path} is a folder, not a file`);
  if (kind === 'folder' && !isFolder) throw new KnobError(`${what}: ${path} is a file; give the folder that holds it`);
}

/** Parses argv (without node and the script); --help prints the usage and exits. Throws KnobError on bad input. */
export function parseCli<S extends Record<string, FlagSpec>>(argv: string[], spec: S, o: CliOptions): Parsed<S> {
  const flags: Record<string, unknown> = {};
  const knobs: Record<string, unknown> = {};
  const positional: string[] = [];
  const seen = new Set<string>();
  const names = [...Object.keys(spec), ...(o.knobs ? KNOBS.map((k) => k.key) : [])];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      console.log(usage(spec, o));
      process.exit(0);
    }
    if (!a.startsWith('--')) {
      if (!o.positional) throw new KnobError(`unexpected argument ${JSON.stringify(a)}; flags look like --steps 200`);
      positional.push(a);
      continue;
    }
    const [typed, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const name = Object.keys(spec).find((n) => flagKey(n) === flagKey(typed)) ?? flagKey(typed);
    const f = spec[name];
    const k = o.knobs ? KNOBS.find((x) => x.key === name) : undefined;
    if (!f && !k) {
      const guess = closest(flagKey(typed), names.map(flagKey));
      const meant = guess === null ? undefined : names.find((n) => flagKey(n) === guess);
      throw new KnobError(`unknown flag --${typed}${meant ? `; did you mean --${meant}?` : ''} (--help lists every flag)`);
    }
    if (f?.kind === 'bool') {
      flags[name] = true;
      seen.add(name);
      continue;
    }
    const text = inline ?? argv[++i];
    if (text === undefined) throw new KnobError(`--${name} needs a value`);
    if (f) flags[name] = value(name, f, text);
    else knobs[name] = parseValue(k!, text);
    if (f?.path) for (const p of f.path === 'files' ? text.split(',') : [text]) checkPath(`--${name}`, p, f.path === 'folder' ? 'folder' : 'file');
    seen.add(name);
  }
  for (const [name, f] of Object.entries(spec)) {
    if (seen.has(name)) continue;
    if (f.kind === 'bool') flags[name] = false;
    else if (f.default !== undefined) flags[name] = value(name, f, f.default);
    else if (f.required) throw new KnobError(`--${name} is required: ${f.help}`);
  }
  if (o.positional?.required && positional.length === 0) throw new KnobError(`missing ${o.positional.name}`);
  if (o.positional?.path) for (const p of positional) checkPath(o.positional.name, p, o.positional.path);
  return { flags: flags as FlagValues<S>, knobs: knobs as Partial<DistillConfig>, positional, given: (name) => seen.has(name as string) };
}

/**
 * Runs a script's main: a bad command line prints one usage line and then the error, last, so it
 * does not scroll away (exit 2); any other error its message (exit 1).
 */
export function runScript(main: () => Promise<void>, o: CliOptions): void {
  main()
    .then(() => {
      delete (globalThis as { navigator?: unknown }).navigator; // Dawn (webgpu in Node) keeps the process alive while its GPU is referenced
    })
    .catch((e: unknown) => {
      if (e instanceof KnobError) {
        console.error(`usage: ${o.usage}\n(--help lists every flag)\n\nerror: ${e.message}`);
        process.exit(2);
      }
      console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    });
}
