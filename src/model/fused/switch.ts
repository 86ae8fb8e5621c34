/**
 * The engine's kernel switch (this file; the fused ops are beside it). `reference` is tfjs's
 * generic op graph (every backend, the oracle of the parity tests); `fused` runs one custom GPU
 * program where the
 * reference runs many, on backends where such a program is registered (src/engine/fused/ does it
 * for webgpu) and the reference elsewhere. Only tfjs-core here: the model stays pure math, and
 * the programs are found by kernel name.
 */
import * as tf from '@tensorflow/tfjs-core';

export const KERNEL_SETS = ['fused', 'reference'] as const;
export type KernelSet = (typeof KERNEL_SETS)[number];

/** Kernel names of the fused programs (registered per backend elsewhere). */
export const FUSED = {
  /** x [N, C], gain [C], bias [C] → y [N, C]; attrs {eps}. */
  layerNorm: 'KdLayerNorm',
  /** x [N, C] → [N, 2]: mean and 1/sqrt(var + eps) of every row; attrs {eps}. */
  layerNormStats: 'KdLayerNormStats',
  /** dy [N, C], x [N, C], gain [C], stats [N, 2] → dx [N, C]. */
  layerNormGradX: 'KdLayerNormGradX',
  /** dy [N, C], x [N, C], stats [N, 2] → d gain [C]. */
  layerNormGradGain: 'KdLayerNormGradGain',
  /** x [any] → GELU(x), tanh approximation. */
  gelu: 'KdGelu',
  /** dy, x [same shape] → dy · GELU'(x). */
  geluGrad: 'KdGeluGrad',
  /** lt, ls [B, V], u [B, V] or [N, B, V] → [B, 4]: a rollout token's [tok, prop, fire, d]; attrs RolloutChoiceAttrs + {uOffset}. */
  rolloutChoice: 'KdRolloutChoice',
  /** ids [B, W] (int32 or float32), wte [V, C], wpe [P, C] → [B, count, C]; attrs {count, past, col}. */
  decodeEmbed: 'KdDecodeEmbed',
  /** state [B, R] (in place), x, the block's weights → state; attrs DecodeSizes + {past, count, xStride, xOffset, eps, scale, bias}. */
  decodeBlock: 'KdDecodeBlock',
  /** state [B, R], gain, bias [C], wte [V, C] → logits [B, V] of the C floats at xOffset; attrs {xOffset, eps}. */
  decodeHead: 'KdDecodeHead',
  /** q, k, v [B·T, C] (heads side by side) → y [B·T, C]: causal attention; attrs {T, H, scale}. */
  attention: 'KdAttention',
  /** q, k, y, dy [B·T, C] → [B·H·T, 2]: each query row's log Σ exp(scores) and dy·y. */
  attentionStats: 'KdAttentionStats',
  /** q, k, v, dy [B·T, C], stats → dq, dk or dv [B·T, C]. */
  attentionGradQ: 'KdAttentionGradQ',
  attentionGradK: 'KdAttentionGradK',
  attentionGradV: 'KdAttentionGradV',
  /** teacher, student logits [N, V] → D [N]; attrs {kind (0 fkl … 4 tvd), temperature, w}. */
  divergence: 'KdDivergence',
  /** teacher, student logits [N, V], dy [N] → d student logits [N, V]. */
  divergenceGrad: 'KdDivergenceGrad',
  /** logits [N, V], targets int32 [N] → −log softmax(logits)[target] [N]. */
  tokenNll: 'KdTokenNll',
  /** logits [N, V], targets [N], dy [N] → d logits [N, V]. */
  tokenNllGrad: 'KdTokenNllGrad',
  /** g0 … g5 (a group of gradients) → [1]: Σ g² over all of them. */
  sumSquares: 'KdSumSquares',
  /** state [2·Σn] (in place), g0 … g5, control [2] → state: the group's m and v; attrs {beta1, beta2}. */
  adamMoments: 'KdAdamMoments',
  /** p, state [2·Σn], control [2] → p': one parameter's update; attrs AdamParamAttrs. */
  adamParam: 'KdAdamParam',
} as const;

/** Fused by default: where no program is registered (cpu, wasm, webgl) the reference runs anyway. */
let active: KernelSet = 'fused';

export function setKernels(k: KernelSet): void {
  active = k;
}

export function kernelSet(): KernelSet {
  return active;
}

/** True where fused kernel `name` runs now: the fused set is on and the active backend has it. */
export function fusedHere(name: string): boolean {
  return active === 'fused' && tf.getKernel(name, tf.getBackend()) !== undefined;
}

/**
 * Runs the kernels of `set` for the duration of `work` (tests and benchmarks compare the two);
 * for async work, until its promise settles (nothing else may run meanwhile: the switch is global).
 */
export function withKernels<T>(set: KernelSet, work: () => T): T {
  const before = active;
  active = set;
  let result: T;
  try {
    result = work();
  } catch (e) {
    active = before;
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => (active = before)) as T;
  active = before;
  return result;
}

/** Runs fused kernel `name` (found by name: the programs are registered per backend in src/engine/fused/). */
export const runFused = (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}) =>
  tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

