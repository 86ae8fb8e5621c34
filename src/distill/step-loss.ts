/**
 * The loss of one training step as a pure function of what the step measured (docs/method.md,
 * "The loss"):
 *
 *   loss = w_out·T²·mean_t D_L,t + w_layer·T²·Σ_{ℓ<L} mean_t [G_ℓ,t ≥ τ_t]·D_ℓ,t + α_ce·CE   (distilling)
 *   loss = CE                                                                              (ce methods)
 *
 * D is the loss's per-layer divergence [L, B, T] (the last layer is the output), G the trigger
 * divergence the gate compares with the threshold τ_t of each position (the same tensor when the
 * trigger and the loss use one divergence); means run over the positions the mask keeps (response
 * positions up to the end mark), the layer term counts only intermediate layers and only where the
 * gate fires, and CE is taken on gold batches only (a rollout has no gold tokens).
 */
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, maskedMean } from '../model/losses';
import { addAll } from '../model/ops';

export interface LossWeights {
  wOut: number;
  wLayer: number;
  alphaCe: number;
  /** KD temperature T: the divergence terms are scaled by T². */
  temperature: number;
}

export interface StepLossInput {
  /** D_ℓ,t for every student layer, the output layer last: [L, B, T]; null for methods without a teacher. */
  divergence: tf.Tensor3D | null;
  /** The trigger divergence G_ℓ,t the gate compares with τ: [L, B, T] (default: divergence). */
  gate?: tf.Tensor3D;
  /** The trained model's logits and the next tokens: [B, T, V] and [B, T]. */
  logits: tf.Tensor3D;
  targets: tf.Tensor2D;
  /** 1 at the positions that count: [B, T]. */
  mask: tf.Tensor2D;
  /** The threshold τ_t of the layer term at each input position: [T] (+∞ where it never fires); null: the term never fires. */
  tau: tf.Tensor1D | null;
  /** The batch is gold data (CE applies), not a student rollout. */
  gold: boolean;
}

export interface StepLoss {
  loss: tf.Scalar;
  lossOut: tf.Scalar;
  lossLayer: tf.Scalar;
  lossCe: tf.Scalar;
  /** 1 where G_ℓ,t ≥ τ_t: [L, B, T] (null without a divergence). */
  fired: tf.Tensor3D | null;
}

export function stepLoss(x: StepLossInput, w: LossWeights): StepLoss {
  const zero = () => tf.scalar(0);
  if (!x.divergence) {
    const lossCe = crossEntropy(x.logits, x.targets, x.mask);
    return { loss: lossCe, lossOut: zero(), lossLayer: zero(), lossCe, fired: null };
  }
  const D = x.divergence;
  const [L, B, T] = D.shape;
  const T2 = w.temperature ** 2;
  const dOut = tf.squeeze(tf.slice(D, [L - 1, 0, 0], [1, B, T]), [0]); // [B, T]
  const lossOut = tf.mul(maskedMean(dOut, x.mask), T2) as tf.Scalar;
  const fired = (x.tau === null ? tf.zerosLike(D) : tf.cast(tf.greaterEqual(x.gate ?? D, x.tau), 'float32')) as tf.Tensor3D; // [L, B, T]
  let lossLayer: tf.Scalar = zero();
  if (L > 1 && w.wLayer > 0) {
    const inner = tf.slice(tf.mul(D, fired), [0, 0, 0], [L - 1, B, T]); // intermediate layers only
    const perLayer = tf.div(tf.sum(tf.mul(inner, x.mask), [1, 2]), tf.maximum(tf.sum(x.mask), 1)); // [L - 1]
    lossLayer = tf.mul(tf.sum(perLayer), T2) as tf.Scalar;
  }
  const lossCe = x.gold && w.alphaCe > 0 ? crossEntropy(x.logits, x.targets, x.mask) : zero();
  const loss = addAll([tf.mul(lossOut, w.wOut), tf.mul(lossLayer, w.wLayer), tf.mul(lossCe, w.alphaCe)]) as tf.Scalar;
  return { loss, lossOut, lossLayer, lossCe, fired };
}

/** Per layer, over the kept positions: the mean divergence and the share where the layer term fired: [L] each. */
export function layerStats(D: tf.Tensor3D, fired: tf.Tensor3D, mask: tf.Tensor2D): { divergence: tf.Tensor1D; rate: tf.Tensor1D } {
  const denom = tf.maximum(tf.sum(mask), 1);
  return {
    divergence: tf.div(tf.sum(tf.mul(D, mask), [1, 2]), denom) as tf.Tensor1D,
    rate: tf.div(tf.sum(tf.mul(fired, mask), [1, 2]), denom) as tf.Tensor1D,
  };
}
