/**
 * npm run make-tiny-gpt2 -- --out DIR [--seed N]
 *
 * Writes a tiny random GPT-2 in Hugging Face's layout three times, DIR/f32, DIR/f16 and DIR/bf16
 * (the same values in each dtype), each a folder that `npm run eval-checkpoint`, `--teacher` on
 * distill and paper-table, and the app's import read as they read a real one (and that
 * transformers' GPT2LMHeadModel.from_pretrained loads). Nothing is downloaded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliOptions, type FlagSpec, parseCli, runScript, usage } from './lib/cli';
import { TINY_GPT2, tinyGpt2Files } from './lib/tiny-gpt2';

const FLAGS = {
  out: { kind: 'string', required: true, help: 'folder to write f32/, f16/ and bf16/ into' },
  seed: { kind: 'int', min: 0, max: 2 ** 31 - 1, default: '1', help: 'seed of the random weights' },
} as const satisfies Record<string, FlagSpec>;

const CLI: CliOptions = { usage: 'npm run make-tiny-gpt2 -- --out DIR [--seed N]' };

async function main(): Promise<void> {
  const { flags } = parseCli(process.argv.slice(2), FLAGS, CLI);
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    const dir = join(flags.out, dtype.toLowerCase());
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(tinyGpt2Files({ seed: flags.seed, dtype }))) writeFileSync(join(dir, name), content);
    console.log(`wrote ${dir}`);
  }
  const c = TINY_GPT2;
  console.log(`a GPT-2 of ${c.nLayer} layers × ${c.C}, ${c.nHead} heads, MLP ${c.F}, ${c.P} positions, a vocabulary of ${c.V} (256 bytes + merges), seed ${flags.seed}`);
}

runScript(main, () => usage(FLAGS, CLI));
