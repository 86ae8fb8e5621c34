/**
 * Divergences between the teacher's and the student's next-token distributions (design §1.1),
 * cross-entropy, and masked means. Everything works in log space (logSoftmax on both sides).
 *
 *   fkl   KL(p_T ‖ p_S)                                   forward KL (default)
 *   rkl   KL(p_S ‖ p_T)                                   reverse KL
 *   gjsd  β·KL(p_T ‖ M) + (1−β)·KL(p_S ‖ M), M = β·p_T + (1−β)·p_S   (TRL's generalised JSD);
 *         β = 0 is special-cased to fkl and β = 1 to rkl (the interior formula vanishes there)
 *   skl   KL(p_T ‖ α·p_T + (1−α)·p_S)                     skew forward KL (DistiLLM, α = 0.1)
 *   tvd   ½·Σ|p_T − p_S|                                   total variation
 *
 * Both distributions are taken at temperature T (logits / T). The loss multiplies by T² when
 * T ≠ 1 (Hinton et al.), so gradient magnitudes stay comparable across temperatures.
 */
import * as tf from '@tensorflow/tfjs-core';

import { DIVERGENCES, type DivergenceKind } from './config';
import { FUSED, fusedHere, fusedTokenNll } from './fused';

export { DIVERGENCES, type DivergenceKind };

export interface DivergenceOptions {
  kind: DivergenceKind;
  /** Softmax temperature applied to both sides (default 1). */
  temperature?: number;
  /** gjsd mixture weight of the teacher, in [0, 1] (default 0.5). */
  beta?: number;
  /** skl skew: weight of the teacher in the mixture, in [0, 1) (default 0.1). */
  alpha?: number;
}

/** KL(p ‖ q) summed over the last axis, from log-probabilities. */
function kl(logP: tf.Tensor, logQ: tf.Tensor): tf.Tensor {
  return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1);
}

/** log(w·p + (1−w)·q) from log p and log q, stably; w in (0, 1). */
function logMix(logP: tf.Tensor, logQ: tf.Tensor, w: number): tf.Tensor {
  return tf.logSumExp(tf.stack([tf.add(logP, Math.log(w)), tf.add(logQ, Math.log(1 - w))]), 0);
}

/**
 * Per-position divergence D(p_T ‖ p_S) at temperature T, without the T² loss factor.
 * teacher, student: logits [..., V] → D [...].
 */
export function divergence(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, opts: DivergenceOptions): tf.Tensor {
  const T = opts.temperature ?? 1;
  if (!(T > 0)) throw new Error(`divergence: temperature must be > 0, got ${T}`);
  const logT = tf.logSoftmax(T === 1 ? teacherLogits : tf.div(teacherLogits, T)); // [..., V]
  const logS = tf.logSoftmax(T === 1 ? studentLogits : tf.div(studentLogits, T)); // [..., V]
  switch (opts.kind) {
    case 'fkl':
      return kl(logT, logS);
    case 'rkl':
      return kl(logS, logT);
    case 'gjsd': {
      const beta = opts.beta ?? 0.5;
      if (!(beta >= 0 && beta <= 1)) throw new Error(`divergence: gjsd beta must be in [0, 1], got ${beta}`);
      if (beta === 0) return kl(logT, logS);
      if (beta === 1) return kl(logS, logT);
      const logM = logMix(logT, logS, beta);
      return tf.add(tf.mul(kl(logT, logM), beta), tf.mul(kl(logS, logM), 1 - beta));
    }
    case 'skl': {
      const alpha = opts.alpha ?? 0.1;
      if (!(alpha >= 0 && alpha < 1)) throw new Error(`divergence: skl alpha must be in [0, 1), got ${alpha}`);
      if (alpha === 0) return kl(logT, logS);
      return kl(logT, logMix(logT, logS, alpha));
    }
    case 'tvd':
      return tf.mul(tf.sum(tf.abs(tf.sub(tf.exp(logT), tf.exp(logS))), -1), 0.5);
    default:
      throw new Error(`divergence: unknown kind ${JSON.stringify((opts as { kind: unknown }).kind)}; valid: ${DIVERGENCES.join(', ')}`);
  }
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
