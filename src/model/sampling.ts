/**
 * Sampling next tokens on the device, and incremental generation with a KV cache.
 *
 * A sample is argmax(filtered logits / temperature + Gumbel noise) (the Gumbel-max trick), so it
 * stays on the GPU; the uniform noise comes from a seeded JavaScript generator, so the same seed
 * gives the same tokens on every backend. Generation reads tokens back once, at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeDecoder } from './decoder';
import { Rng } from './rng';
import type { Transformer } from './transformer';

export interface SamplingOptions {
  /** Always take the most likely token (ignores the rest). */
  greedy: boolean;
  /** Softmax temperature (> 0). */
  temperature: number;
  /** Keep only the K most likely tokens (0 = off). */
  topK: number;
  /** Keep the smallest set of tokens whose probability reaches P (1 = off). */
  topP: number;
}

export const DEFAULT_SAMPLING: SamplingOptions = { greedy: false, temperature: 1, topK: 0, topP: 1 };

const NEG = -1e9;

export function validateSampling(o: SamplingOptions): void {
  if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) throw new Error(`sampling.temperature must be > 0, got ${o.temperature}`);
  if (!Number.isInteger(o.topK) || o.topK < 0) throw new Error(`sampling.topK must be an integer ≥ 0, got ${o.topK}`);
  if (!(o.topP > 0 && o.topP <= 1)) throw new Error(`sampling.topP must be in (0, 1], got ${o.topP}`);
}

/** Logits [B, V] with everything outside the top-K / top-P sets pushed to −1e9, at temperature. */
export function filterLogits(logits: tf.Tensor2D, o: SamplingOptions): tf.Tensor2D {
  return tf.tidy(() => {
    const V = logits.shape[1];
    let l = tf.div(logits, o.temperature) as tf.Tensor2D; // [B, V]
    if (o.topK > 0 && o.topK < V) {
      const kth = tf.min(tf.topk(l, o.topK).values, -1, true); // [B, 1]
      l = tf.where(tf.greaterEqual(l, kth), l, tf.fill(l.shape, NEG)) as tf.Tensor2D;
    }
    if (o.topP < 1) {
      const sorted = tf.topk(l, V).values; // [B, V] descending
      const probs = tf.softmax(sorted); // [B, V]
      const before = tf.cumsum(probs, 1, true); // mass strictly before each rank (exclusive)
      const keep = tf.less(before, o.topP); // the first rank is always kept
      const cutoff = tf.min(tf.where(keep, sorted, tf.fill(sorted.shape, Infinity)), -1, true); // [B, 1]
      l = tf.where(tf.greaterEqual(l, cutoff), l, tf.fill(l.shape, NEG)) as tf.Tensor2D;
    }
    return l;
  });
}

/**
 * Draws one token per row from logits [B, V]. `uniform` [B, V] holds noise in (0, 1) for the
 * Gumbel-max trick; it is ignored when greedy. Returns int32 [B].
 */
export function sampleTokens(logits: tf.Tensor2D, o: SamplingOptions, uniform?: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    if (o.greedy) return tf.cast(tf.argMax(logits, -1), 'int32') as tf.Tensor1D;
    if (!uniform) throw new Error('sampleTokens: noise is required unless greedy');
    const gumbel = tf.neg(tf.log(tf.neg(tf.log(uniform)))); // [B, V]
    return tf.cast(tf.argMax(tf.add(filterLogits(logits, o), gumbel), -1), 'int32') as tf.Tensor1D;
  });
}

/** Uniform (0, 1) noise for `steps` draws of [B, V], from a seeded stream: [steps, B, V]. */
export function samplingNoise(rng: Rng, steps: number, batch: number, vocab: number): tf.Tensor3D {
  const n = steps * batch * vocab;
  const u = new Float32Array(n);
  for (let i = 0; i < n; i++) u[i] = rng.uniformOpen();
  return tf.tensor3d(u, [steps, batch, vocab]);
}

/** The logits of the last position: [B, T, V] → [B, V]. */
export function lastLogits(logits: tf.Tensor3D): tf.Tensor2D {
  const [B, T, V] = logits.shape;
  return tf.reshape(tf.slice(logits, [0, T - 1, 0], [B, 1, V]), [B, V]);
}

/**
 * Continues each prompt row by `maxNew` tokens, decoding incrementally with a KV cache.
 * prompt: int32 [B, P]. Returns the new tokens [B, maxNew] as an int32 tensor (one readback
 * later, by the caller). Deterministic in `seed`.
 */
export function generate(model: Transformer, prompt: tf.Tensor2D, maxNew: number, o: SamplingOptions, seed: number): tf.Tensor2D {
  validateSampling(o);
  const [B, P] = prompt.shape;
  if (P + maxNew - 1 > model.config.contextLength) {
    throw new Error(`generate: prompt ${P} + ${maxNew} new tokens exceed the context length ${model.config.contextLength}`);
  }
  if (maxNew <= 0) return tf.zeros([B, 0], 'int32');
  const V = model.config.vocabSize;
  const noise = o.greedy ? null : samplingNoise(new Rng(seed), maxNew, B, V); // [N, B, V]
  const noiseAt = (i: number) => (noise ? (tf.reshape(tf.slice(noise, [i, 0, 0], [1, B, V]), [B, V]) as tf.Tensor2D) : undefined);
  const tokens: tf.Tensor2D[] = []; // per new token [B, 1]
  const dec = makeDecoder(model, B, P, P + maxNew - 1); // positions fed: the prompt, then all but the last new token
  let logits: tf.Tensor2D | null = null;
  try {
    let l = dec.prefill(prompt);
    logits = l;
    for (let i = 0; i < maxNew; i++) {
      const next = tf.tidy(() => tf.reshape(sampleTokens(l, o, noiseAt(i)), [B, 1]) as tf.Tensor2D); // [B, 1]
      tokens.push(next);
      l.dispose();
      logits = null;
      if (i + 1 < maxNew) logits = l = dec.next(next);
    }
    return tf.concat(tokens, 1) as tf.Tensor2D; // [B, maxNew]
  } finally {
    logits?.dispose();
    dec.dispose();
    tf.dispose(tokens);
    noise?.dispose();
  }
}
