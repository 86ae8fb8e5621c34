/**
 * The GPT-2-shaped folders `npm run make-tiny-gpt2 -- --shape gpt2-small|distilgpt2` writes: GPT-2's
 * published parameter counts, and a 50,257-token byte-level BPE vocabulary that the app's tokenizer
 * reads (every byte pair a token, <|endoftext|> last). Weights of GPT-2's scale stay exact in F16
 * and BF16.
 */
import { describe, expect, test } from 'vitest';
import { BpeTokenizer } from '../../src/data/bpe';
import { END_OF_TEXT, GPT2_SHAPES, type HfTestConfig, bpeTokenizerJson, encodeAs, fillerMerges, hfShapes, randomHf } from '../hf-folder';
import { decodeSafetensors } from '../../src/model/checkpoint';

const count = (c: HfTestConfig) => Object.values(hfShapes(c)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

describe('GPT-2-shaped random models', () => {
  test('gpt2-small has 124,439,808 parameters and distilgpt2 81,912,576 (the head tied to wte)', () => {
    expect(count(GPT2_SHAPES['gpt2-small'])).toBe(124_439_808);
    expect(count(GPT2_SHAPES.distilgpt2)).toBe(81_912_576);
  });

  test('the vocabulary: 256 bytes, 50,000 merges, <|endoftext|> = 50,256; text round-trips', () => {
    const merges = fillerMerges(50_000);
    expect(new Set(merges.map(([a, b]) => a + b)).size).toBe(50_000);
    const tok = BpeTokenizer.fromJson(bpeTokenizerJson(merges, [END_OF_TEXT]));
    expect(tok.vocabSize).toBe(50_257);
    const text = 'Call me Ishmael. Some years ago — never mind how long precisely.';
    const ids = tok.encode(text);
    expect(ids.length).toBeLessThan(text.length); // byte pairs merged
    expect(Math.max(...ids)).toBeLessThan(50_257);
    expect(tok.decode(ids)).toBe(text);
  });

  test('weights at GPT-2 scale (std 0.02) are the same in F32, F16 and BF16', () => {
    const c: HfTestConfig = { ...GPT2_SHAPES['gpt2-small'], nLayer: 1, C: 16, F: 64, V: 300, P: 8 };
    const w = randomHf(3, c);
    const shapes = hfShapes(c);
    const tensors = Object.fromEntries(Object.entries(w).map(([n, data]) => [n, { shape: shapes[n]!, data }]));
    const wte = w['wte.weight']!;
    const std = Math.sqrt(wte.reduce((a, x) => a + x * x, 0) / wte.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    for (const dtype of ['F16', 'BF16'] as const) {
      const back = decodeSafetensors(encodeAs(tensors, dtype)).tensors;
      for (const [n, t] of Object.entries(back)) expect(Array.from(t.data), `${dtype} ${n}`).toEqual(Array.from(w[n]!));
    }
  });
});
