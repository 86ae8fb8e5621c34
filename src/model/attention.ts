/**
 * Causal multi-head self-attention of one block, from the fused Q|K|V projection, in one of two
 * ways that compute the same thing:
 *   reference  tfjs's generic graph: split, LoRA deltas, heads transposed, QKᵀ + mask, softmax,
 *              ·V (and a KV cache grown by concat);
 *   fused      one program forward and four backward on q, k, v as projected (no cache: training
 *              and scoring) — on the projection itself where no adapter sits on q, k or v.
 * Decoding with the fused programs does not come here: a whole block is one program (decoder.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED, MAX_FUSED_T, fusedAttention, fusedAttentionPacked, fusedHere } from './fused';
import { type LoraAdapters, loraDelta } from './lora';
import type { KVCache } from './transformer';

export type AttentionMode = 'reference' | 'fused';

/** How a forward of T new positions after `cache` attends. */
export function attentionMode(T: number, cache: KVCache | undefined): AttentionMode {
  if (!cache && T <= MAX_FUSED_T && fusedHere(FUSED.attention)) return 'fused';
  return 'reference';
}

/** Additive causal mask for T new positions after `past` cached ones: 0 where allowed, −1e9 not. */
export function causalMask(T: number, past: number): tf.Tensor2D {
  const S = past + T;
  const m = new Float32Array(T * S);
  for (let i = 0; i < T; i++) for (let j = past + i + 1; j < S; j++) m[i * S + j] = -1e9;
  return tf.tensor2d(m, [T, S]);
}

export interface AttentionInput {
  mode: AttentionMode;
  qkv: tf.Tensor2D; // [BT, 3C]: the fused projection
  h: tf.Tensor2D; // [BT, C]: its input, which the LoRA deltas read
  lora: LoraAdapters | null;
  layer: number;
  seed: number | undefined;
  B: number;
  T: number;
  H: number;
  past: number;
  cache: KVCache | undefined;
  /** The reference mode's causal mask [T, past + T]. */
  mask: tf.Tensor2D | null;
}

export interface AttentionOutput {
  y: tf.Tensor2D; // [BT, C]
  /** With a cache: this layer's keys and values after these positions. */
  keys?: tf.Tensor4D;
  values?: tf.Tensor4D;
}

const withDelta = (y: tf.Tensor2D, delta: tf.Tensor2D | null) => (delta ? (tf.add(y, delta) as tf.Tensor2D) : y);

/** Whether an active adapter sits on q, k or v (then they are split out and adapted one by one). */
function adapted(lora: LoraAdapters | null): boolean {
  return Boolean(lora && !lora.merged && lora.config.targets.some((t) => t === 'q' || t === 'k' || t === 'v'));
}

export function selfAttention(a: AttentionInput): AttentionOutput {
  const { qkv, h, lora, layer, seed, B, T, H, past, cache } = a;
  const C = qkv.shape[1] / 3;
  const hd = C / H;
  const scale = 1 / Math.sqrt(hd);
  // No adapter on q, k or v: the fused programs read them straight out of the projection.
  if (a.mode === 'fused' && !adapted(lora)) return { y: fusedAttentionPacked(qkv, T, H) }; // [BT, C]
  const [q0, k0, v0] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 × [BT, C]
  const q = withDelta(q0, loraDelta(lora, layer, 'q', h, seed)); // [BT, C]
  const k = withDelta(k0, loraDelta(lora, layer, 'k', h, seed)); // [BT, C]
  const v = withDelta(v0, loraDelta(lora, layer, 'v', h, seed)); // [BT, C]
  if (a.mode === 'fused') return { y: fusedAttention(q, k, v, T, H) }; // [BT, C]
  const toHeads = (t: tf.Tensor2D) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, H, T, hd]
  let K = toHeads(k); // [B, H, T, hd]
  let V = toHeads(v); // [B, H, T, hd]
  if (cache && past > 0) {
    K = tf.concat([cache.keys[layer]!, K], 2); // [B, H, S, hd]
    V = tf.concat([cache.values[layer]!, V], 2); // [B, H, S, hd]
  }
  const att = tf.softmax(tf.add(tf.mul(tf.matMul(toHeads(q), K, false, true), scale), a.mask!)); // [B, H, T, S]
  const y = tf.reshape(tf.transpose(tf.matMul(att, V), [0, 2, 1, 3]), [B * T, C]) as tf.Tensor2D; // [BT, C]
  return cache ? { y, keys: K, values: V } : { y };
}
