/** Fused ops of decoding (no gradients): the rollout decision, the in-place KV cache and one-query attention, matmul + GELU. */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED, runFused as run } from './switch';
import { fusedHere } from './switch';

/** How a rollout token is chosen, as numbers for the program (see fusedRolloutChoice). */
export interface RolloutChoiceAttrs {
  /** 0 fkl, 1 rkl, 2 gjsd, 3 skl, 4 tvd. */
  kind: 0 | 1 | 2 | 3 | 4;
  /** Divergence temperature. */
  temperature: number;
  /** The mixture's teacher weight: gjsd's β, skl's α (unused otherwise). */
  w: number;
  /** Sampling temperature of the Gumbel-max draws. */
  sampleTemperature: number;
  /** 0 threshold (d ≥ τ), 1 topk (the student's token outside the teacher's top K), 2 none. */
  trigger: 0 | 1 | 2;
  tau: number;
  topK: number;
}

/**
 * One rollout token's decision in one program: teacher logits lt, student logits ls and uniform
 * noise u, all [B, V], give [B, 4] rows [token taken, student's token, 1 if the teacher's was
 * taken, divergence]. No gradient: rollouts are sampled, not differentiated.
 */
export function fusedRolloutChoice(lt: tf.Tensor2D, ls: tf.Tensor2D, u: tf.Tensor2D, attrs: RolloutChoiceAttrs): tf.Tensor2D {
  return run(FUSED.rolloutChoice, { lt, ls, u }, attrs as unknown as Record<string, number>) as tf.Tensor2D;
}

/** The longest preallocated cache the decode programs take (their scores sit in workgroup memory). */
export const MAX_FUSED_CACHE = 4096;

/** True where decoding can use a preallocated cache: both decode programs are registered and on. */
export function fusedDecoding(capacity: number): boolean {
  return capacity <= MAX_FUSED_CACHE && fusedHere(FUSED.cacheWrite) && fusedHere(FUSED.decodeAttention);
}

/**
 * Writes C = H·hd columns of x [B, W] from `offset` (heads side by side: x is [B, C], or the fused
 * projection [B, 3C] with offset C for keys, 2C for values) at position `pos` of cache
 * [B, H, S_max, hd] in place, and returns the cache (sharing its buffer): the tensor passed in
 * must not be read afterwards.
 */
export function fusedCacheWrite(cache: tf.Tensor4D, x: tf.Tensor2D, pos: number, offset = 0): tf.Tensor4D {
  return run(FUSED.cacheWrite, { cache, x }, { pos, offset }) as tf.Tensor4D;
}

/** Causal attention of one new query (C columns of q [B, W] from `offset`) over the first `length` cached positions → [B, C]. */
export function fusedDecodeAttention(q: tf.Tensor2D, keys: tf.Tensor4D, values: tf.Tensor4D, length: number, scale: number, offset = 0): tf.Tensor2D {
  return run(FUSED.decodeAttention, { q, k: keys, v: values }, { length, scale, offset }) as tf.Tensor2D;
}

/** GELU(x·w) in one program, x [M, K], w [K, N] → [M, N]. No gradient: for decoding. */
export function fusedMatMulGelu(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return run(FUSED.matMulGelu, { x, w }) as tf.Tensor2D;
}

/** r + x·w in one program, x [M, K], w [K, N], r [M, N] → [M, N]. No gradient: for decoding. */
export function fusedMatMulAdd(x: tf.Tensor2D, w: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D {
  return run(FUSED.matMulAdd, { x, w, r }) as tf.Tensor2D;
}
