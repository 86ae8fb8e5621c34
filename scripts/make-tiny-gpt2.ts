/**
 * npm run make-tiny-gpt2 -- --out DIR [--shape tiny|gpt2-small|distilgpt2] [--dtypes f32,f16,bf16] [--seed N]
 *
 * Writes a random GPT-2 in Hugging Face's layout once per dtype, DIR/f32, DIR/f16, DIR/bf16 (the
 * same values in each), each a folder that `npm run eval-checkpoint`, `--teacher` on distill and
 * paper-table, and the app's import read as they read a real one (and that transformers'
 * GPT2LMHeadModel.from_pretrained loads). Nothing is downloaded.
 *
 * --shape tiny (the default) is 4 layers × 16 for tests and trying the import; gpt2-small
 * (124,439,808 parameters) and distilgpt2 (6 layers) are GPT-2's published shapes with random
 * weights, to measure memory and latency where weights dominate (`paper-table --resources`); they
 * default to F16 only (a quarter of a gigabyte each; F32 is twice that).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliOptions, type FlagSpec, parseCli, runScript } from './lib/cli';
import { type Dtype, GPT2_SHAPES, type HfTestConfig, TINY_GPT2, hfShapes, randomHf, shapedGpt2Files, tinyGpt2Files } from './lib/tiny-gpt2';

type Gpt2Shape = keyof typeof GPT2_SHAPES;
const SHAPES = ['tiny', ...(Object.keys(GPT2_SHAPES) as Gpt2Shape[])] as const;
const DTYPES = ['f32', 'f16', 'bf16'] as const;

const FLAGS = {
  out: { kind: 'string', required: true, help: 'folder to write one subfolder per dtype into (f32/, f16/, bf16/)' },
  shape: { kind: 'choice', choices: SHAPES, default: 'tiny', help: 'tiny (tests), or GPT-2 small / distilgpt2 shaped with random weights' },
  dtypes: { kind: 'list', help: 'dtypes to write (f32, f16, bf16; default all three for tiny, f16 for the GPT-2 shapes)' },
  seed: { kind: 'int', min: 0, max: 2 ** 31 - 1, default: '1', help: 'seed of the random weights' },
} as const satisfies Record<string, FlagSpec>;

const CLI: CliOptions = { usage: 'npm run make-tiny-gpt2 -- --out DIR [--shape tiny|gpt2-small|distilgpt2] [--dtypes f32,f16,bf16] [--seed N]' };

async function main(): Promise<void> {
  const { flags } = parseCli(process.argv.slice(2), FLAGS, CLI);
  const shape = flags.shape as 'tiny' | Gpt2Shape;
  const dtypes = flags.dtypes ?? (shape === 'tiny' ? [...DTYPES] : ['f16']);
  const bad = dtypes.filter((d) => !(DTYPES as readonly string[]).includes(d));
  if (bad.length) throw new Error(`--dtypes ${bad.join(',')}: not a dtype; valid: ${DTYPES.join(', ')}`);
  const c: HfTestConfig = shape === 'tiny' ? TINY_GPT2 : GPT2_SHAPES[shape];
  const weights = randomHf(flags.seed, c); // one draw, written in every dtype
  for (const d of dtypes) {
    const dtype = d.toUpperCase() as Dtype;
    const dir = join(flags.out, d);
    mkdirSync(dir, { recursive: true });
    const files = shape === 'tiny' ? tinyGpt2Files({ weights, dtype }) : shapedGpt2Files(shape, dtype, { weights });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    console.log(`wrote ${dir}`);
  }
  const params = Object.values(hfShapes(c)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  console.log(`a GPT-2 of ${c.nLayer} layers × ${c.C}, ${c.nHead} heads, MLP ${c.F}, ${c.P} positions, a vocabulary of ${c.V}: ${params.toLocaleString('en-US')} parameters (the head tied to wte), seed ${flags.seed}`);
}

runScript(main, CLI);
