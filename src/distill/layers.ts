/**
 * Per-layer divergence through the logit lens (docs/method.md, "The layer-selective term"):
 * student layer ℓ is compared with teacher layer g(ℓ) = round(ℓ·L_T/L_S) (1-based; g(L_S) = L_T),
 * each read out through its own final norm and LM head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveDivergence } from '../model/divergences';
import { type DivergenceOptions, divergence } from '../model/losses';
import { FUSED, fusedHere, fusedStudentDivergence } from '../model/fused';
import { asConstant } from '../model/ops';
import { type Transformer, logitLens } from '../model/transformer';

/** g(ℓ) for ℓ = 1..L_S: the teacher layer (1-based) each student layer is compared with. */
export function layerMap(studentLayers: number, teacherLayers: number): number[] {
  return Array.from({ length: studentLayers }, (_, i) => Math.round(((i + 1) * teacherLayers) / studentLayers));
}

/** Whether two divergence options compute the same numbers. */
export function sameDivergence(a: DivergenceOptions, b: DivergenceOptions): boolean {
  const ra = resolveDivergence(a);
  const rb = resolveDivergence(b);
  return ra.kind === rb.kind && ra.w === rb.w && (a.temperature ?? 1) === (b.temperature ?? 1);
}

export interface LayerDivergences {
  /** D_ℓ,t of the loss, for every student layer: [L_S, B, T]. */
  loss: tf.Tensor3D;
  /** The trigger divergence the layer gate compares with τ: [L_S, B, T], a constant for the gradient (the loss's own tensor where they are the same divergence). */
  gate: tf.Tensor3D;
}

/**
 * D_ℓ,t for every student layer, for the loss and for the gate. Hidden states are each model's
 * residual streams after every block ([B, T, C] per layer).
 */
export function layerDivergences(
  student: Transformer,
  studentHidden: tf.Tensor3D[],
  teacher: Transformer,
  teacherHidden: tf.Tensor3D[],
  opts: DivergenceOptions,
  gateOpts: DivergenceOptions = opts,
): LayerDivergences {
  const map = layerMap(studentHidden.length, teacherHidden.length);
  const sLens = logitLens(student, studentHidden); // L_S × [B, T, V]
  const tLens = logitLens(teacher, map.map((g) => teacherHidden[g - 1]!)); // L_S × [B, T, V]
  // The teacher is frozen: the fused program (one each way, where it runs) takes its side as a constant.
  const D = fusedHere(FUSED.divergence) ? fusedStudentDivergence : divergence;
  const perLayer = (o: DivergenceOptions, s: tf.Tensor[]) => tf.stack(s.map((x, i) => tf.relu(D(tLens[i]!, x, o)))) as tf.Tensor3D; // [L_S, B, T]
  const loss = perLayer(opts, sLens);
  const gate = sameDivergence(opts, gateOpts) ? loss : (asConstant(sLens, (...s) => perLayer(gateOpts, s)) as tf.Tensor3D);
  return { loss, gate };
}
