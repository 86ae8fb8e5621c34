import { Rng } from '../src/model/rng';

/**
 * A random GPT-2 in Hugging Face's layout, for tests: transformers' names and shapes, weights
 * rounded to what F16 holds, a config.json, and a byte-level BPE tokenizer.json (GPT-2's byte
 * alphabet and a few merges).
 */
export interface HfTestConfig {
  nLayer: number;
  nHead: number;
  C: number;
  F: number;
  V: number;
  P: number;
  eps: number;
}

export const HF_CFG: HfTestConfig = { nLayer: 2, nHead: 2, C: 8, F: 32, V: 13, P: 10, eps: 1e-5 };

export const configJson = (c: HfTestConfig) => ({ model_type: 'gpt2', n_embd: c.C, n_layer: c.nLayer, n_head: c.nHead, n_positions: c.P, vocab_size: c.V, n_inner: null, layer_norm_epsilon: c.eps, activation_function: 'gelu_new' });

/** transformers' names and shapes of a GPT-2 with this config. */
export function hfShapes(c: HfTestConfig = HF_CFG): Record<string, number[]> {
  const { C, F, V, P } = c;
  const s: Record<string, number[]> = { 'wte.weight': [V, C], 'wpe.weight': [P, C], 'ln_f.weight': [C], 'ln_f.bias': [C] };
  for (let i = 0; i < c.nLayer; i++) {
    Object.assign(s, {
      [`h.${i}.ln_1.weight`]: [C], [`h.${i}.ln_1.bias`]: [C], [`h.${i}.ln_2.weight`]: [C], [`h.${i}.ln_2.bias`]: [C],
      [`h.${i}.attn.c_attn.weight`]: [C, 3 * C], [`h.${i}.attn.c_attn.bias`]: [3 * C],
      [`h.${i}.attn.c_proj.weight`]: [C, C], [`h.${i}.attn.c_proj.bias`]: [C],
      [`h.${i}.mlp.c_fc.weight`]: [C, F], [`h.${i}.mlp.c_fc.bias`]: [F],
      [`h.${i}.mlp.c_proj.weight`]: [F, C], [`h.${i}.mlp.c_proj.bias`]: [C],
    });
  }
  return s;
}

/** Random weights, rounded to what F16 holds (k/256 for |k| < 1024), so F32 and F16 files carry the same values. */
export function randomHf(seed: number, c: HfTestConfig = HF_CFG): Record<string, Float32Array> {
  const rng = new Rng(seed);
  return Object.fromEntries(Object.entries(hfShapes(c)).map(([n, shape]) => [n, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.round(rng.normal() * 0.4 * 256) / 256 + (n.includes('ln_') && n.endsWith('weight') ? 1 : 0))]));
}

/** GPT-2's byte → character table (bytes_to_unicode), in its order. */
export function byteChars(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) bs.push(b), cs.push(256 + n++);
  return cs.map((c) => String.fromCodePoint(c));
}

/** A byte-level BPE tokenizer.json: the 256 byte characters (ids 0…255), then the merges' tokens. */
export function bpeTokenizerJson(merges: [string, string][]): string {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, i) => (vocab[c] = i));
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: byteLevel, post_processor: byteLevel, decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  });
}
