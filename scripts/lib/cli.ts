/** Command-line flags of the Node scripts: every knob of the table in src/distill/config.ts, plus a few of the host's. */
import { KNOBS, KnobError, type DistillConfig, describeValid, parseKnob } from '../../src/distill/config';
import { PRESET_NAMES } from '../../src/data/presets';
import { NODE_BACKENDS } from '../../src/engine/node';

const BACKENDS = NODE_BACKENDS;

export function usage(): string {
  const lines = KNOBS.map((k) => `  --${k.key.padEnd(18)} ${k.help} (${describeValid(k, PRESET_NAMES)})`);
  return [
    'usage: npm run distill -- --preset P --method M --steps N [--backend cpu|wasm] [--json FILE] [--<knob> value ...]',
    '',
    'options:',
    `  --backend            tfjs backend in Node (one of ${BACKENDS.join(', ')})`,
    '  --json               write {config, teacher, evals, steps, final} to this file',
    '  --quiet              no progress line',
    ...lines,
  ].join('\n');
}

export function parseArgs(argv: string[]): { overrides: Partial<DistillConfig>; backend: string; json?: string; quiet: boolean } {
  const overrides: Record<string, unknown> = {};
  let backend = 'cpu';
  let json: string | undefined;
  let quiet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      console.log(usage());
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new KnobError(`unexpected argument ${JSON.stringify(a)}; flags look like --steps 200`);
    const [flag, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === 'quiet') {
      quiet = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new KnobError(`--${flag} needs a value`);
    if (flag === 'backend') {
      if (!(BACKENDS as readonly string[]).includes(value)) throw new KnobError(`backend: ${JSON.stringify(value)} is not valid; expected one of ${BACKENDS.join(', ')}`);
      backend = value;
    } else if (flag === 'json') json = value;
    else {
      const k = KNOBS.find((x) => x.key === flag);
      if (!k) throw new KnobError(`unknown flag --${flag}; valid flags: --backend, --json, --quiet, ${KNOBS.map((x) => `--${x.key}`).join(', ')}`);
      overrides[k.key] = parseKnob(k, value, PRESET_NAMES);
    }
  }
  return { overrides: overrides as Partial<DistillConfig>, backend, json, quiet };
}


/** The value after --name on the command line, or the fallback; an error naming the flag when neither. */
export function flag(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}
