/** Fused AdamW: Σg² per gradient and the update of one parameter in one program. */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED, runFused as run } from './switch';

/** Σ g² of one tensor in one program → [1]. */
export function fusedSumSquares(g: tf.Tensor): tf.Tensor1D {
  return run(FUSED.sumSquares, { g }) as tf.Tensor1D;
}

export interface AdamWAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  /** Bias corrections 1 − β1^t, 1 − β2^t. */
  bc1: number;
  bc2: number;
  eps: number;
  /** Decoupled weight decay of this parameter (0 for gains and biases). */
  decay: number;
}

/**
 * One AdamW update of one parameter in one program: p and g of the parameter's shape, the
 * previous [3, n] result (null at the first step: zero moments), control [2] = (clip scale, 1 if
 * the step is finite). Returns [3, n]: rows p', m', v' (= p, m, v where the step is not finite).
 */
export function fusedAdamW(p: tf.Tensor, g: tf.Tensor, state: tf.Tensor2D | null, control: tf.Tensor1D, attrs: AdamWAttrs): tf.Tensor2D {
  return tf.tidy(() => {
    const s = state ?? tf.zeros([1, 1]);
    return run(FUSED.adamW, { p, g, state: s, control }, { ...attrs, first: state ? 0 : 1 } as unknown as Record<string, number>) as tf.Tensor2D;
  });
}
