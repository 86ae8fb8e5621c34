/**
 * Divergences between the teacher's and the student's next-token distributions (their table:
 * divergences.ts), cross-entropy, and masked means. Everything works in log space (logSoftmax on
 * both sides). Both distributions are taken at temperature T (logits / T). The loss multiplies by
 * T² when T ≠ 1 (Hinton et al.), so gradient magnitudes stay comparable across temperatures.
 */
import * as tf from '@tensorflow/tfjs-core';

import { DIVERGENCES, DIVERGENCE_TABLE, type DivergenceChoice, type DivergenceKind, type DivergenceMath, resolveDivergence } from './divergences';
import { FUSED, fusedHere, fusedTokenNll } from './fused';

export { DIVERGENCES, type DivergenceKind };

export interface DivergenceOptions extends DivergenceChoice {
  /** Softmax temperature applied to both sides (default 1). */
  temperature?: number;
}

/** The table's arithmetic on tensors, over the last axis. */
const TENSOR_MATH: DivergenceMath<tf.Tensor> = {
  kl: (logP, logQ) => tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1),
  logMix: (logP, logQ, w) => tf.logSumExp(tf.stack([tf.add(logP, Math.log(w)), tf.add(logQ, Math.log(1 - w))]), 0),
  l1: (logP, logQ) => tf.sum(tf.abs(tf.sub(tf.exp(logP), tf.exp(logQ))), -1),
  add: (a, b) => tf.add(a, b),
  scale: (a, c) => tf.mul(a, c),
};

/** A weight knob's value must lie in its range: gjsd's β in [0, 1], skl's α in [0, 1). */
function checkWeights(o: DivergenceOptions): void {
  if (o.kind === 'gjsd' && o.beta !== undefined && !(o.beta >= 0 && o.beta <= 1)) throw new Error(`divergence: gjsd beta must be in [0, 1], got ${o.beta}`);
  if (o.kind === 'skl' && o.alpha !== undefined && !(o.alpha >= 0 && o.alpha < 1)) throw new Error(`divergence: skl alpha must be in [0, 1), got ${o.alpha}`);
}

/**
 * Per-position divergence D(p_T ‖ p_S) at temperature T, without the T² loss factor.
 * teacher, student: logits [..., V] → D [...].
 */
export function divergence(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, opts: DivergenceOptions): tf.Tensor {
  const T = opts.temperature ?? 1;
  if (!(T > 0)) throw new Error(`divergence: temperature must be > 0, got ${T}`);
  if (!DIVERGENCE_TABLE[opts.kind]) throw new Error(`divergence: unknown kind ${JSON.stringify(opts.kind)}; valid: ${DIVERGENCES.join(', ')}`);
  checkWeights(opts);
  const { kind, w } = resolveDivergence(opts);
  const logT = tf.logSoftmax(T === 1 ? teacherLogits : tf.div(teacherLogits, T)); // [..., V]
  const logS = tf.logSoftmax(T === 1 ? studentLogits : tf.div(studentLogits, T)); // [..., V]
  return DIVERGENCE_TABLE[kind].reference(TENSOR_MATH, logT, logS, w); // [...]
}

/** Mean of x over the positions where mask is 1 (all positions when no mask); 0 when the mask is empty. */
export function maskedMean(x: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  if (!mask) return tf.mean(x);
  return tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1));
}

/** Distillation loss T²·mean_masked D (the T² factor only changes anything when T ≠ 1). */
export function distillLoss(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, opts: DivergenceOptions, mask?: tf.Tensor): tf.Scalar {
  const T = opts.temperature ?? 1;
  return tf.mul(maskedMean(divergence(teacherLogits, studentLogits, opts), mask), T * T);
}

/** −log p(target) per position. logits [..., V], targets int32 [...] → [...]. */
export function tokenNll(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  if (fusedHere(FUSED.tokenNll)) return fusedTokenNll(logits, targets);
  const V = logits.shape[logits.shape.length - 1]!;
  const logp = tf.logSoftmax(logits); // [..., V]
  return tf.neg(tf.sum(tf.mul(logp, tf.oneHot(tf.cast(targets, 'int32'), V)), -1)); // [...]
}

/** Mean cross-entropy on the masked positions. */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, mask?: tf.Tensor): tf.Scalar {
  return maskedMean(tokenNll(logits, targets), mask);
}
