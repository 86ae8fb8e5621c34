/**
 * Per-layer divergence through the logit lens (design §1.3): student layer ℓ is compared with
 * teacher layer g(ℓ) = round(ℓ·L_T/L_S) (1-based; g(L_S) = L_T), each read out through its own
 * final norm and LM head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DivergenceOptions, divergence } from '../model/losses';
import { FUSED, fusedHere, fusedStudentDivergence } from '../model/fused';
import { type Transformer, logitLens } from '../model/transformer';

/** g(ℓ) for ℓ = 1..L_S: the teacher layer (1-based) each student layer is compared with. */
export function layerMap(studentLayers: number, teacherLayers: number): number[] {
  return Array.from({ length: studentLayers }, (_, i) => Math.round(((i + 1) * teacherLayers) / studentLayers));
}

/**
 * D_ℓ,t for every student layer: [L_S, B, T]. Hidden states are each model's residual streams
 * after every block ([B, T, C] per layer).
 */
export function layerDivergences(
  student: Transformer,
  studentHidden: tf.Tensor3D[],
  teacher: Transformer,
  teacherHidden: tf.Tensor3D[],
  opts: DivergenceOptions,
): tf.Tensor3D {
  const map = layerMap(studentHidden.length, teacherHidden.length);
  const sLens = logitLens(student, studentHidden); // L_S × [B, T, V]
  const tLens = logitLens(teacher, map.map((g) => teacherHidden[g - 1]!)); // L_S × [B, T, V]
  // The teacher is frozen: the fused program (one each way, where it runs) takes its side as a constant.
  const D = fusedHere(FUSED.divergence) ? fusedStudentDivergence : divergence;
  return tf.stack(sLens.map((s, i) => tf.relu(D(tLens[i]!, s, opts)))) as tf.Tensor3D; // [L_S, B, T]
}
