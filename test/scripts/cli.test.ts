/** The scripts' one command-line parser: knob flags, script flags, defaults, errors, and the same knob parser as links. */
import { describe, expect, test } from 'vitest';
import { KNOBS, readKnob } from '../../src/config/knobs';
import { PRESET_NAMES } from '../../src/config/presets';
import { closest, parseCli, usage } from '../../scripts/lib/cli';
import { BENCH_FLAGS, DISTILL_FLAGS, EVAL_CHECKPOINT_FLAGS, FINETUNE_FLAGS, PAPER_TABLE_FLAGS, PRETRAIN_FLAGS, benchGrid } from '../../scripts/lib/flags';

const distill = (argv: string[]) => parseCli(argv, DISTILL_FLAGS, { usage: 'distill', knobs: true });

describe('npm run distill', () => {
  test('knobs and script flags, with defaults', () => {
    const a = distill(['--preset', 'tiny', '--method', 'sti-lora', '--steps', '200', '--json', 'out.json', '--loraTargets=q,k', '--backend', 'cpu']);
    expect(a.knobs).toEqual({ preset: 'tiny', method: 'sti-lora', steps: 200, loraTargets: ['q', 'k'] });
    expect(a.flags).toEqual({ backend: 'cpu', kernels: 'fused', json: 'out.json', quiet: false });
    expect(distill(['--quiet']).flags).toEqual({ backend: 'wasm', kernels: 'fused', quiet: true });
    expect(distill(['--kernels', 'reference', '--backend', 'webgpu']).flags).toMatchObject({ backend: 'webgpu', kernels: 'reference' });
    expect(distill(['--backend=wasm']).given('backend')).toBe(true);
    expect(distill([]).given('backend')).toBe(false);
  });
  test('errors say what is valid', () => {
    expect(() => distill(['--stepz', '3'])).toThrow('unknown flag --stepz; did you mean --steps? (--help lists every flag)');
    expect(() => distill(['--zzzzzz', '3'])).toThrow(/^unknown flag --zzzzzz \(--help lists every flag\)$/);
    expect(() => distill(['--preset', 'tinyy'])).toThrow(/preset: "tinyy" is not valid; expected one of tiny, .*; did you mean tiny\?$/);
    expect(() => distill(['--method', 'sti-lor'])).toThrow(/did you mean sti-lora\?$/);
    expect(() => distill(['--loraTargets', 'q,vv'])).toThrow(/did you mean v\?$/);
    expect(() => distill(['--steps'])).toThrow(/--steps needs a value/);
    expect(() => distill(['--backend', 'tpu'])).toThrow(/backend: "tpu" is not valid; expected one of cpu, wasm, webgpu/);
    expect(() => distill(['--method', 'magic'])).toThrow(/method: "magic"/);
    expect(() => distill(['--steps', '2.5'])).toThrow(/steps: "2.5" is not valid; expected an integer in \[1, 100000\]/);
    expect(() => distill(['tiny'])).toThrow(/unexpected argument "tiny"/);
  });
});

describe('flag styles and paths', () => {
  test('kebab-case and camelCase name the same flag', () => {
    expect(distill(['--batch-size', '4']).knobs).toEqual({ batchSize: 4 });
    const bench = (argv: string[]) => parseCli(argv, BENCH_FLAGS, { usage: '', knobs: true }).flags;
    expect(bench(['--submitBatch', '3'])['submit-batch']).toBe(3);
    expect(bench(['--submit-batch', '3'])['submit-batch']).toBe(3);
    expect(bench(['--gen-tokens', '8'])['gen-tokens']).toBe(8);
  });
  test('a path that is not there names its flag', () => {
    const evalCli = (argv: string[]) => parseCli(argv, EVAL_CHECKPOINT_FLAGS, { usage: '', positional: { name: 'the checkpoint', required: true } });
    expect(() => evalCli(['public/models/tiny-teacher', '--text', 'nope.txt'])).toThrow('--text: nope.txt does not exist');
    expect(() => evalCli(['x', '--text', 'public'])).toThrow('--text: public is a folder, not a file');
    expect(() => evalCli(['x', '--text', 'package.json', '--adapter', 'package.json'])).toThrow('--adapter: package.json is a file; give the folder that holds it');
    expect(() => distill(['--teacher', 'no/such/folder'])).toThrow('--teacher: no/such/folder does not exist');
    expect(() => parseCli(['--preset', 'tiny', '--check', 'nope.json'], PAPER_TABLE_FLAGS, { usage: '' })).toThrow('--check: nope.json does not exist');
    expect(() => parseCli(['--preset', 'tiny', '--merge', 'package.json,nope.json', '--out', 'x'], PAPER_TABLE_FLAGS, { usage: '' })).toThrow('--merge: nope.json does not exist');
  });
  test('closest: a near miss, never a far one', () => {
    expect(closest('tinyy', PRESET_NAMES)).toBe('tiny');
    expect(closest('moby', PRESET_NAMES)).toBe(null);
    expect(closest('mobydick', PRESET_NAMES)).toBe('moby-dick');
    expect(closest('xyz', PRESET_NAMES)).toBe(null);
  });
});

describe('the other scripts', () => {
  test('bench: --preset / --method name the rows as --presets / --methods do; other knobs pass through', () => {
    const grid = (argv: string[]) => {
      const a = parseCli(argv, BENCH_FLAGS, { usage: '', knobs: true });
      return benchGrid(a.flags, a.knobs, a.given);
    };
    expect(grid([])).toEqual({ presets: ['tiny'], methods: ['ft', 'kd-lora', 'sti-lora'], knobs: {} });
    expect(grid(['--preset', 'moby-dick', '--method', 'sti-lora', '--batchSize', '4'])).toEqual({ presets: ['moby-dick'], methods: ['sti-lora'], knobs: { batchSize: 4 } });
    expect(grid(['--presets', 'tiny,moby-dick', '--methods', 'ft'])).toMatchObject({ presets: ['tiny', 'moby-dick'], methods: ['ft'] });
    expect(() => grid(['--preset', 'tiny', '--presets', 'moby-dick'])).toThrow(/--preset P or --presets a,b, not both/);
    expect(() => grid(['--method', 'ft', '--methods', 'ft'])).toThrow(/--method M or --methods a,b, not both/);
  });
  test('paper-table: typed values, lists, required flags', () => {
    const a = parseCli(['--preset', 'moby-dick', '--methods', 'ft,sti-lora', '--seeds', '2', '--check', 'docs/results/moby-dick.json'], PAPER_TABLE_FLAGS, { usage: '' });
    expect(a.flags).toMatchObject({ preset: 'moby-dick', methods: ['ft', 'sti-lora'], seeds: 2, check: 'docs/results/moby-dick.json', backend: 'wasm', tolerance: 0 });
    expect(a.flags.steps).toBeUndefined();
    expect(() => parseCli([], PAPER_TABLE_FLAGS, { usage: '' })).toThrow(/--preset is required/);
    expect(() => parseCli(['--preset', 'tiny', '--methods', 'ft,ft'], PAPER_TABLE_FLAGS, { usage: '' })).toThrow(/methods: "ft,ft" is not valid/);
    expect(() => parseCli(['--preset', 'tiny', '--seeds', '11'], PAPER_TABLE_FLAGS, { usage: '' })).toThrow(/seeds: "11" is not valid; expected an integer in \[1, 10\]/);
  });
  test('finetune and pretrain: defaults of --verify checks, wasm by default', () => {
    const f = parseCli(['--preset', 'reverse-long', '--phase', '2', '--verify', 'package.json'], FINETUNE_FLAGS, { usage: '' });
    expect(f.flags).toMatchObject({ preset: 'reverse-long', phase: 2, verify: 'package.json', 'stop-after': 20, backend: 'wasm', what: 'teacher', out: 'public/models' });
    const p = parseCli(['--config', 'speech-4x128', '--steps', '900', '--record', 'b.csv'], PRETRAIN_FLAGS, { usage: '' });
    expect(p.flags).toMatchObject({ config: 'speech-4x128', steps: 900, seed: 1, batch: 8, lr: 3e-3, every: 100, record: 'b.csv' });
    expect(() => parseCli(['--config', 'speech-9x9', '--steps', '1'], PRETRAIN_FLAGS, { usage: '' })).toThrow(/config: "speech-9x9" is not valid; expected one of speech-4x128, speech-2x64/);
  });
  test('eval-checkpoint takes a path', () => {
    const e = parseCli(['public/models/x', '--preset', 'tiny'], EVAL_CHECKPOINT_FLAGS, { usage: '', positional: { name: 'the checkpoint', required: true } });
    expect(e.positional).toEqual(['public/models/x']);
    expect(() => parseCli([], EVAL_CHECKPOINT_FLAGS, { usage: '', positional: { name: 'the checkpoint', required: true } })).toThrow(/missing the checkpoint/);
  });
  test('--help lists every flag and, with knobs, every knob', () => {
    const text = usage(DISTILL_FLAGS, { usage: 'npm run distill', knobs: true });
    for (const name of [...Object.keys(DISTILL_FLAGS), ...KNOBS.map((k) => k.key)]) expect(text).toContain(`--${name}`);
    expect(usage(PRETRAIN_FLAGS, { usage: '' })).toContain('default 3e-3');
  });
});

describe('one knob parser: strict for the command line, clamping for links', () => {
  const k = (key: string) => KNOBS.find((x) => x.key === key)!;
  test('strict refuses what clamp repairs', () => {
    expect(readKnob(k('steps'), '1e12', 'strict')).toEqual({ error: 'out of range [1, 100000]' });
    expect(readKnob(k('steps'), '1e12', 'clamp')).toEqual({ value: 100000, clamped: true });
    expect(readKnob(k('steps'), '12.7', 'strict')).toEqual({ error: 'not an integer' });
    expect(readKnob(k('steps'), '12.7', 'clamp')).toEqual({ value: 13, clamped: true });
    expect(readKnob(k('lr'), ' 0.004 ', 'strict')).toEqual({ value: 0.004, clamped: false });
  });
  test('both refuse what is not of the kind', () => {
    for (const mode of ['strict', 'clamp'] as const) {
      expect(readKnob(k('lr'), 'NaN', mode)).toEqual({ error: 'not a number' });
      expect(readKnob(k('steps'), '0x10', mode)).toEqual({ error: 'not a number' });
      expect(readKnob(k('method'), 'magic', mode).error).toMatch(/^not one of ft, lora/);
      expect(readKnob(k('loraTargets'), 'q,zz', mode).error).toMatch(/^not a list of q, k, v/);
      expect(readKnob(k('preset'), 'tiny', mode, PRESET_NAMES)).toEqual({ value: 'tiny', clamped: false });
    }
  });
});
