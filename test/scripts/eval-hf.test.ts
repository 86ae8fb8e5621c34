/**
 * A Hugging Face GPT-2 folder from the command line: `npm run eval-checkpoint -- DIR --text FILE`
 * prints the mean NLL per token of the text under the model, tokenised by the folder's byte-level
 * BPE tokenizer, in windows of the model's context — checked against a plain-JavaScript GPT-2 and
 * the token ids worked out by hand; folders that are not usable are refused with what is wrong.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BpeTokenizer } from '../../src/data/bpe';
import { CharTokenizer } from '../../src/data/tokenizer';
import { exportHfFolders } from '../../src/distill/hf';
import { modelConfig } from '../../src/model/config';
import { encodeSafetensors } from '../../src/model/checkpoint';
import { type HfTestConfig, bpeTokenizerJson, configJson, hfShapes, randomHf } from '../hf-folder';
import { randomModel } from '../helpers';
import { refGpt2 } from '../ref-gpt2';

const MERGES: [string, string][] = [['t', 'h'], ['th', 'e'], ['Ġ', 'c']]; // ids 256, 257, 258
const CFG: HfTestConfig = { nLayer: 2, nHead: 2, C: 8, F: 32, V: 259, P: 6, eps: 1e-5 };
const TEXT = 'the cat sat on the mat';
const dir = mkdtempSync(join(tmpdir(), 'kd-hf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string | Uint8Array>): string {
  const d = join(dir, name);
  execFileSync('mkdir', ['-p', d]);
  for (const [n, content] of Object.entries(files)) writeFileSync(join(d, n), content);
  return d;
}

const weights = randomHf(7, CFG);
const shapes = hfShapes(CFG);
const GOOD = {
  'config.json': JSON.stringify(configJson(CFG)),
  'model.safetensors': encodeSafetensors(Object.fromEntries(Object.entries(weights).map(([n, data]) => [n, { shape: shapes[n]!, data }]))),
  'tokenizer.json': bpeTokenizerJson(MERGES),
};

const run = (args: string[]) => execFileSync('npx', ['tsx', 'scripts/eval-checkpoint.ts', ...args, '--backend', 'cpu'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const fails = (args: string[]): string => {
  try {
    run(args);
  } catch (e) {
    return String((e as { stderr?: string }).stderr);
  }
  throw new Error('expected the command to fail');
};

describe('eval-checkpoint on a Hugging Face folder', () => {
  test('the byte-level BPE tokenizer gives the ids worked out by hand', () => {
    const tok = BpeTokenizer.fromJson(GOOD['tokenizer.json']);
    const byte = (c: string) => c.charCodeAt(0) - 33; // printable ASCII: byte − 33 in GPT-2's table
    // "the" merges to 257; " cat" → "Ġc" (258) "a" "t"; " sat" → "Ġ" "s" "a" "t" ("Ġ" is byte 32, the 33rd byte outside the printable table: id 188 + 32)
    expect(tok.encode('the cat sat')).toEqual([257, 258, byte('a'), byte('t'), 220, byte('s'), byte('a'), byte('t')]);
    expect(tok.decode(tok.encode(TEXT))).toBe(TEXT);
    expect(tok.vocabSize).toBe(259);
  });

  test('mean NLL over the text = a plain-JavaScript GPT-2 over the same windows', () => {
    const d = folder('good', GOOD);
    const textFile = join(dir, 'text.txt');
    writeFileSync(textFile, TEXT);
    const out = run([d, '--text', textFile]);
    const m = /mean NLL (\d+\.\d{6}) over (\d+) tokens/.exec(out);
    expect(m, out).not.toBeNull();
    const ids = BpeTokenizer.fromJson(GOOD['tokenizer.json']).encode(TEXT);
    expect(Number(m![2])).toBe(ids.length - 1);
    expect(ids.length - 1).toBeGreaterThan(2 * CFG.P); // several windows of the context (6)
    let total = 0;
    for (let s = 0; s + 1 < ids.length; s += CFG.P) {
      const w = ids.slice(s, s + CFG.P + 1);
      const logits = refGpt2(weights, { nLayer: CFG.nLayer, nHead: CFG.nHead, C: CFG.C, F: CFG.F, V: CFG.V, eps: CFG.eps }, w.slice(0, -1));
      logits.forEach((row, t) => {
        const mx = Math.max(...row);
        const lse = mx + Math.log(row.reduce((a, x) => a + Math.exp(x - mx), 0));
        total += lse - row[w[t + 1]!]!;
      });
    }
    expect(Number(m![1])).toBeCloseTo(total / (ids.length - 1), 4);
  }, 120_000);

  test('--adapter: the exported student with the PEFT adapter scores the text as the merged export does', async () => {
    const tokenizer = new CharTokenizer('abcdefghijklmnopqrstuvwxyz .');
    const model = randomModel(modelConfig({ vocabSize: tokenizer.vocabSize, nLayer: 2, nHead: 2, dModel: 8, dFF: 16, nPositions: 8 }), 5, { rank: 2, alpha: 4, targets: ['q', 'v', 'fc1'], dropout: 0 });
    const folders = await exportHfFolders(model, tokenizer.toHfTokenizerJson());
    const root = join(dir, 'export');
    for (const [f, files] of Object.entries(folders)) folder(join('export', f), files);
    const textFile = join(dir, 'text.txt');
    writeFileSync(textFile, TEXT);
    const nll = (out: string) => Number(/mean NLL (\d+\.\d{6}) over (\d+) tokens/.exec(out)![1]);
    const merged = nll(run([join(root, 'merged'), '--text', textFile]));
    const adapted = nll(run([join(root, 'student'), '--text', textFile, '--adapter', join(root, 'adapter')]));
    const plain = nll(run([join(root, 'student'), '--text', textFile]));
    expect(Math.abs(adapted - merged)).toBeLessThan(2e-6);
    expect(Math.abs(plain - merged)).toBeGreaterThan(1e-4); // the adapter matters
    expect(fails([join(root, 'student'), '--text', textFile, '--adapter', join(root, 'merged')])).toMatch(/has no adapter_config\.json/);
  }, 180_000);

  test('a folder without the tokenizer, with a sharded checkpoint, or no --text is refused, naming what is wrong', () => {
    const textFile = join(dir, 'text.txt');
    writeFileSync(textFile, TEXT);
    const { 'tokenizer.json': _t, ...noTok } = GOOD;
    expect(fails([folder('no-tok', noTok), '--text', textFile])).toMatch(/has no tokenizer\.json \(it has: config\.json, model\.safetensors\)/);
    const { 'model.safetensors': _w, ...noWeights } = GOOD;
    expect(fails([folder('sharded', { ...noWeights, 'model.safetensors.index.json': '{}' }), '--text', textFile])).toMatch(/sharded checkpoint/);
    expect(fails([folder('good2', GOOD)])).toMatch(/is a folder: say which text to score with --text FILE/);
  }, 120_000);
});
