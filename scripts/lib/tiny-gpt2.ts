/**
 * A tiny random GPT-2 in Hugging Face's layout, for tests and for trying the import without a
 * download: transformers' names and shapes, weights at a fixed seed chosen so that F32, F16 and
 * BF16 files hold the same values (multiples of 1/64 below 2 in magnitude: 8 significant bits),
 * a config.json, and a byte-level BPE tokenizer.json (GPT-2's byte alphabet and a few merges).
 * `npm run make-tiny-gpt2 -- --out DIR` writes one folder per dtype.
 */
import { encodeSafetensors } from '../../src/model/checkpoint';
import { Rng } from '../../src/model/rng';

export interface HfTestConfig {
  nLayer: number;
  nHead: number;
  C: number;
  F: number;
  V: number;
  P: number;
  eps: number;
  /** Weights are multiples of `unit` drawn with standard deviation `std` (defaults 1/64 and 0.4). */
  unit?: number;
  std?: number;
}

export const HF_CFG: HfTestConfig = { nLayer: 2, nHead: 2, C: 8, F: 32, V: 13, P: 10, eps: 1e-5 };

/** A few merges of English text (ids 256, 257, … in this order). */
export const TINY_MERGES: [string, string][] = [['t', 'h'], ['th', 'e'], ['Ġ', 't'], ['Ġ', 'a'], ['i', 'n'], ['e', 'r'], ['a', 'n'], ['Ġt', 'he']];

/** The folder `npm run make-tiny-gpt2` writes: 4 layers (a student keeps 2), context 160 (a window of 128 tokens fits). */
export const TINY_GPT2: HfTestConfig = { nLayer: 4, nHead: 2, C: 16, F: 64, V: 256 + TINY_MERGES.length, P: 160, eps: 1e-5 };

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

/**
 * GPT-2's published shapes, for measuring resources at the scale they mean (random weights: time
 * and memory do not depend on what the weights learned). 50,257 tokens: 256 bytes, 50,000 merges
 * and <|endoftext|>. Weights k/2048 with std 0.02 (GPT-2's initialisation), exact in every dtype.
 */
export const GPT2_SHAPES = {
  'gpt2-small': { nLayer: 12, nHead: 12, C: 768, F: 3072, V: 50257, P: 1024, eps: 1e-5, unit: 1 / 2048, std: 0.02 },
  distilgpt2: { nLayer: 6, nHead: 12, C: 768, F: 3072, V: 50257, P: 1024, eps: 1e-5, unit: 1 / 2048, std: 0.02 },
} as const satisfies Record<string, HfTestConfig>;

/** Random weights k·unit (|k| ≤ 127; LayerNorm gains 1 + k·max(unit, 1/128)): exact in F32, F16 and BF16 alike. */
export function randomHf(seed: number, c: HfTestConfig = HF_CFG): Record<string, Float32Array> {
  const rng = new Rng(seed);
  const unit = c.unit ?? 1 / 64;
  const scale = (c.std ?? 0.4) / unit;
  const out: Record<string, Float32Array> = {};
  for (const [n, shape] of Object.entries(hfShapes(c))) {
    const gain = n.includes('ln_') && n.endsWith('weight') ? 1 : 0;
    const u = gain ? Math.max(unit, 1 / 128) : unit; // 1 + k/128 is BF16's finest step above 1
    const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
    for (let i = 0; i < a.length; i++) a[i] = Math.max(-127, Math.min(127, Math.round((rng.normal() * scale * unit) / u))) * u + gain;
    out[n] = a;
  }
  return out;
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

/** `count` merges: TINY_MERGES, then pairs of byte characters in order (GPT-2's vocabulary size without its text). */
export function fillerMerges(count: number): [string, string][] {
  const chars = byteChars();
  const merges = TINY_MERGES.slice(0, count);
  const made = new Set(merges.map(([a, b]) => a + b));
  for (let i = 0; merges.length < count && i < chars.length ** 2; i++) {
    const pair: [string, string] = [chars[Math.floor(i / chars.length)]!, chars[i % chars.length]!];
    if (!made.has(pair[0] + pair[1])) merges.push(pair), made.add(pair[0] + pair[1]);
  }
  if (merges.length < count) throw new Error(`tiny GPT-2: cannot make ${count} merges from byte pairs`);
  return merges;
}

/** The special token GPT-2's vocabulary ends with. */
export const END_OF_TEXT = '<|endoftext|>';

/** A byte-level BPE tokenizer.json: the 256 byte characters (ids 0…255), the merges' tokens, then `special` tokens. */
export function bpeTokenizerJson(merges: [string, string][], special: string[] = []): string {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, i) => (vocab[c] = i));
  let next = 256;
  for (const [a, b] of merges) vocab[a + b] = next++;
  const added = special.map((content) => ({ id: (vocab[content] = next++), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return JSON.stringify({
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
    pre_tokenizer: byteLevel, post_processor: byteLevel, decoder: byteLevel,
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  });
}

export type Dtype = 'F32' | 'F16' | 'BF16';
type Tensors = Record<string, { shape: number[]; data: Float32Array }>;

/** float32 → IEEE half bits, for values it holds exactly (as these weights are). */
function toHalf(x: number): number {
  if (x === 0) return 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const e = Math.floor(Math.log2(a));
  return sign | ((e + 15) << 10) | Math.round((a / 2 ** e - 1) * 1024);
}

/** float32 → bfloat16 bits: the top half of the float32 (exact for these weights). */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function toBf16(x: number): number {
  f32[0] = x;
  return u32[0]! >>> 16;
}

/** A safetensors file of `tensors` in F32, F16 or BF16. */
export function encodeAs(tensors: Tensors, dtype: Dtype): Uint8Array {
  if (dtype === 'F32') return encodeSafetensors(tensors);
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [n, t] of Object.entries(tensors)) {
    header[n] = { dtype, shape: t.shape, data_offsets: [off, off + 2 * t.data.length] };
    off += 2 * t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  const bits = dtype === 'F16' ? toHalf : toBf16;
  for (const t of Object.values(tensors)) for (const x of t.data) view.setUint16((pos += 2) - 2, bits(x), true);
  return out;
}

/**
 * The files of a random GPT-2 folder: config.json, model.safetensors (in `dtype`), tokenizer.json.
 * `weights` reuses weights already drawn (one draw written in several dtypes).
 */
export function tinyGpt2Files(o: { seed?: number; dtype?: Dtype; config?: HfTestConfig; merges?: [string, string][]; special?: string[]; weights?: Record<string, Float32Array> } = {}): Record<string, string | Uint8Array> {
  const c = o.config ?? TINY_GPT2;
  const merges = o.merges ?? TINY_MERGES;
  const special = o.special ?? [];
  if (c.V < 256 + merges.length + special.length) throw new Error(`tiny GPT-2: a vocabulary of ${c.V} cannot hold the 256 bytes, ${merges.length} merges and ${special.length} special tokens`);
  const shapes = hfShapes(c);
  const w = o.weights ?? randomHf(o.seed ?? 1, c);
  return {
    'config.json': JSON.stringify(configJson(c), null, 1),
    'model.safetensors': encodeAs(Object.fromEntries(Object.entries(w).map(([n, data]) => [n, { shape: shapes[n]!, data }])), o.dtype ?? 'F32'),
    'tokenizer.json': bpeTokenizerJson(merges, special),
  };
}

/** The files of a GPT-2-shaped folder: GPT-2's vocabulary of byte pairs and <|endoftext|>. */
export function shapedGpt2Files(shape: keyof typeof GPT2_SHAPES, dtype: Dtype, o: { seed?: number; weights?: Record<string, Float32Array> } = {}): Record<string, string | Uint8Array> {
  const config = GPT2_SHAPES[shape];
  return tinyGpt2Files({ ...o, dtype, config, merges: fillerMerges(config.V - 256 - 1), special: [END_OF_TEXT] });
}
