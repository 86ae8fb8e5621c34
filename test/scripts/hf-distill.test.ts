/**
 * Real models in and out from the command line, against independent references (no internet):
 * the tiny GPT-2 of `npm run make-tiny-gpt2` in F32, F16 and BF16 scores a text as a plain-
 * JavaScript GPT-2 does (test/ref-gpt2.ts), its tokenizer gives a reference BPE encoder's ids
 * (test/ref-bpe.ts) for ASCII, accents, emoji, newlines and leading spaces, and a sti-lora run with
 * it as the teacher on moby-dick exports a student and a PEFT adapter whose scores the references
 * reproduce (PEFT's merge rule: test/ref-peft.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BpeTokenizer } from '../../src/data/bpe';
import { decodeSafetensors } from '../../src/model/checkpoint';
import { TINY_GPT2, TINY_MERGES, bpeTokenizerJson, randomHf, tinyGpt2Files } from '../hf-folder';
import { refBpeEncode } from '../ref-bpe';
import { refGpt2 } from '../ref-gpt2';
import { type PeftConfig, peftMerge } from '../ref-peft';

const dir = mkdtempSync(join(tmpdir(), 'kd-hf-distill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXT = 'The whale, the whale! Then all in all,\n  there she blows — café, naïve, 🐋 and 42 harpoons.';
const cli = (script: string, args: string[]) => execFileSync('npx', ['tsx', `scripts/${script}.ts`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const nllOf = (out: string) => {
  const m = /mean NLL (\d+\.\d{6}) over (\d+) tokens/.exec(out);
  if (!m) throw new Error(`no NLL line in: ${out}`);
  return { nll: Number(m[1]), tokens: Number(m[2]) };
};

/** Mean NLL by the reference GPT-2 over the windows eval-checkpoint uses (the context, every token after the first once). */
function refNll(weights: Record<string, ArrayLike<number>>, ids: number[], c = TINY_GPT2): number {
  let total = 0;
  for (let s = 0; s + 1 < ids.length; s += c.P) {
    const w = ids.slice(s, s + c.P + 1);
    refGpt2(weights, { nLayer: c.nLayer, nHead: c.nHead, C: c.C, F: c.F, V: c.V, eps: c.eps }, w.slice(0, -1)).forEach((row, t) => {
      const mx = Math.max(...row);
      total += mx + Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0)) - row[w[t + 1]!]!;
    });
  }
  return total / (ids.length - 1);
}

const write = (name: string, files: Record<string, string | Uint8Array>) => {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const [n, c] of Object.entries(files)) writeFileSync(join(d, n), c);
  return d;
};
const tensorsOf = (folder: string) => Object.fromEntries(Object.entries(decodeSafetensors(new Uint8Array(readFileSync(join(folder, 'model.safetensors')))).tensors).map(([n, t]) => [n, t.data]));

describe('a tiny Hugging Face GPT-2 from the command line', () => {
  const textFile = join(dir, 'text.txt');
  writeFileSync(textFile, TEXT.repeat(3)); // longer than the context of 160: several windows
  const tokenizer = BpeTokenizer.fromJson(bpeTokenizerJson(TINY_MERGES));
  const vocab = JSON.parse(bpeTokenizerJson(TINY_MERGES)).model.vocab as Record<string, number>;

  test('the tokenizer gives the reference BPE ids: ASCII, accents, emoji, newlines, leading spaces', () => {
    for (const s of [TEXT, 'the then there', ' leading space', '\n\nnewlines\n', 'naïve café Zürich', 'emoji 🐋🐳!', '  two  spaces', "it's they're"]) {
      expect(tokenizer.encode(s), JSON.stringify(s)).toEqual(refBpeEncode(s, vocab, TINY_MERGES));
      expect(tokenizer.decode(tokenizer.encode(s))).toBe(s);
    }
    expect(refBpeEncode('the', vocab, TINY_MERGES)).toEqual([257]); // the merges apply: t+h, then th+e
  });

  test.each(['F32', 'F16', 'BF16'] as const)('npm run make-tiny-gpt2 %s: eval-checkpoint prints the reference GPT-2 mean NLL', (dtype) => {
    const folder = write(`tiny-${dtype}`, tinyGpt2Files({ dtype }));
    const ids = refBpeEncode(TEXT.repeat(3), vocab, TINY_MERGES);
    const got = nllOf(cli('eval-checkpoint', [folder, '--text', textFile, '--backend', 'cpu']));
    expect(got.tokens).toBe(ids.length - 1);
    const want = refNll(randomHf(1, TINY_GPT2), ids);
    expect(Math.abs(got.nll - want) / want).toBeLessThan(1e-4);
  }, 120_000);

  test('npm run make-tiny-gpt2 writes the three folders', () => {
    cli('make-tiny-gpt2', ['--out', join(dir, 'made')]);
    for (const d of ['f32', 'f16', 'bf16']) for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) expect(existsSync(join(dir, 'made', d, f)), `${d}/${f}`).toBe(true);
    expect(readFileSync(join(dir, 'made', 'f32', 'model.safetensors'))).toEqual(Buffer.from(tinyGpt2Files({ dtype: 'F32' })['model.safetensors'] as Uint8Array));
  }, 60_000);

  test('distill --teacher … --preset moby-dick --method sti-lora --export: student/ and adapter/ score as the references say', () => {
    const teacher = write('teacher', tinyGpt2Files({ dtype: 'BF16' }));
    const out = join(dir, 'out');
    const log = cli('distill', ['--teacher', teacher, '--preset', 'moby-dick', '--method', 'sti-lora', '--steps', '2', '--batchSize', '2', '--export', out, '--backend', 'cpu', '--quiet']);
    expect(log).toMatch(/teacher\s+Hugging Face folder/);
    for (const f of ['student/config.json', 'student/model.safetensors', 'student/tokenizer.json', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'merged/model.safetensors']) expect(existsSync(join(out, f)), f).toBe(true);
    const cfg = JSON.parse(readFileSync(join(out, 'student', 'config.json'), 'utf8'));
    expect(cfg.n_layer).toBe(TINY_GPT2.nLayer / 2); // every other block
    const ids = refBpeEncode(TEXT.repeat(3), vocab, TINY_MERGES);
    const student = { ...TINY_GPT2, nLayer: cfg.n_layer as number };
    const plain = nllOf(cli('eval-checkpoint', [join(out, 'student'), '--text', textFile, '--backend', 'cpu']));
    expect(Math.abs(plain.nll - refNll(tensorsOf(join(out, 'student')), ids, student)) / plain.nll).toBeLessThan(1e-4);
    // The adapter through PEFT's rule, applied to the student by the reference: the same score as --adapter.
    const adapted = nllOf(cli('eval-checkpoint', [join(out, 'student'), '--text', textFile, '--adapter', join(out, 'adapter'), '--backend', 'cpu']));
    const base = decodeSafetensors(new Uint8Array(readFileSync(join(out, 'student', 'model.safetensors')))).tensors;
    const adapter = decodeSafetensors(new Uint8Array(readFileSync(join(out, 'adapter', 'adapter_model.safetensors')))).tensors;
    const merged = peftMerge(base, JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8')) as PeftConfig, adapter);
    const want = refNll(Object.fromEntries(Object.entries(merged).map(([n, t]) => [n, t.data])), ids, student);
    expect(Math.abs(adapted.nll - want) / want).toBeLessThan(1e-4);
    expect(Math.abs(adapted.nll - plain.nll)).toBeGreaterThan(1e-6); // the adapter was trained: it changes the model
  }, 300_000);
});
