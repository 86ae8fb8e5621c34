/**
 * The command line of every Node script, parsed one way: each script declares its flags in a
 * small table (kind, range or choices, default, help), optionally takes every knob of the run
 * (src/config/knobs.ts) as a flag too, and gets typed values, `--help` and clear errors. Flag
 * values are read by the knob table's own parser, so `--steps` means the same here as in a link.
 */
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
  positional?: { name: string; required: boolean };
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

function value(name: string, f: FlagSpec, text: string): unknown {
  if (f.kind === 'string') return text;
  return parseKnob(asKnob(name, f), text, PRESET_NAMES);
}

/** Parses argv (without node and the script); --help prints the usage and exits. Throws KnobError on bad input. */
export function parseCli<S extends Record<string, FlagSpec>>(argv: string[], spec: S, o: CliOptions): Parsed<S> {
  const flags: Record<string, unknown> = {};
  const knobs: Record<string, unknown> = {};
  const positional: string[] = [];
  const seen = new Set<string>();
  const valid = () => [...Object.keys(spec), ...(o.knobs ? KNOBS.map((k) => k.key) : [])].map((n) => `--${n}`).join(', ');
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
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const f = spec[name];
    const k = o.knobs ? KNOBS.find((x) => x.key === name) : undefined;
    if (!f && !k) throw new KnobError(`unknown flag --${name}; valid flags: ${valid()}`);
    if (f?.kind === 'bool') {
      flags[name] = true;
      seen.add(name);
      continue;
    }
    const text = inline ?? argv[++i];
    if (text === undefined) throw new KnobError(`--${name} needs a value`);
    if (f) flags[name] = value(name, f, text);
    else knobs[name] = parseKnob(k!, text, PRESET_NAMES);
    seen.add(name);
  }
  for (const [name, f] of Object.entries(spec)) {
    if (seen.has(name)) continue;
    if (f.kind === 'bool') flags[name] = false;
    else if (f.default !== undefined) flags[name] = value(name, f, f.default);
    else if (f.required) throw new KnobError(`--${name} is required: ${f.help}`);
  }
  if (o.positional?.required && positional.length === 0) throw new KnobError(`missing ${o.positional.name}`);
  return { flags: flags as FlagValues<S>, knobs: knobs as Partial<DistillConfig>, positional, given: (name) => seen.has(name as string) };
}

/**
 * Runs a script's main: a bad command line prints the error and the usage (exit 2), any other
 * error its message (exit 1).
 */
export function runScript(main: () => Promise<void>, help?: () => string): void {
  main()
    .then(() => {
      delete (globalThis as { navigator?: unknown }).navigator; // Dawn (webgpu in Node) keeps the process alive while its GPU is referenced
    })
    .catch((e: unknown) => {
      if (e instanceof KnobError) {
        console.error(`error: ${e.message}${help ? `\n\n${help()}` : ''}`);
        process.exit(2);
      }
      console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    });
}
