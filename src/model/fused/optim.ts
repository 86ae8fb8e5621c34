/**
 * Fused AdamW (src/engine/fused/adamw.ts): parameters go in groups of up to ADAM_GROUP — one
 * program sums a group's squared gradients, one updates its moments in place, then one program
 * per parameter writes its new value.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FUSED, runFused as run } from './switch';

/** Parameters per program: 8 storage buffers a shader stage, less the output and the control. */
export const ADAM_GROUP = 6;

const named = (gs: tf.Tensor[]) => Object.fromEntries(gs.map((g, j) => [`g${j}`, g]));

/** Σ g² over the gradients of one group (at most ADAM_GROUP) in one program → [1]. */
export function fusedSumSquares(gs: tf.Tensor[]): tf.Tensor1D {
  return run(FUSED.sumSquares, named(gs)) as tf.Tensor1D;
}

/**
 * The moments of one group in place: state [2·Σn] holds m then v of the group's parameters, in
 * order; control [2] = (clip scale, 1 if the step is applied — else nothing changes). Returns the
 * state (sharing its buffer): the tensor passed in must not be read afterwards.
 */
export function fusedAdamMoments(state: tf.Tensor1D, gs: tf.Tensor[], control: tf.Tensor1D, beta1: number, beta2: number): tf.Tensor1D {
  return run(FUSED.adamMoments, { state, control, ...named(gs) }, { beta1, beta2 }) as tf.Tensor1D;
}

export interface AdamParamAttrs {
  /** Where this parameter's moments start in its group's state. */
  offset: number;
  lr: number;
  /** Bias corrections 1 − β1^t, 1 − β2^t. */
  bc1: number;
  bc2: number;
  eps: number;
  /** Decoupled weight decay of this parameter (0 for gains and biases). */
  decay: number;
}

/** A parameter's new value from its group's (already updated) moments → a new tensor of p's shape (p where control[1] is 0). */
export function fusedAdamParam(p: tf.Tensor, state: tf.Tensor1D, control: tf.Tensor1D, attrs: AdamParamAttrs): tf.Tensor {
  return run(FUSED.adamParam, { p, state, control }, attrs as unknown as Record<string, number>);
}
