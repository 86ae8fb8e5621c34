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
import { type LensChunks, chunkedLensDivergence, lensChunkRows } from './lens-chunks';

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

/** How a step computes the lens divergences. */
export interface LensOptions extends Partial<LensChunks> {
  /**
   * Whether the intermediate layers' divergences take part in the loss (w_layer > 0; default
   * true). Where they do not, they are measured without a gradient: no recomputation and no
   * backward through their heads, a quarter of their work.
   */
  layerTerm?: boolean;
}

/**
 * D_ℓ,t for every student layer, for the loss and for the gate. Hidden states are each model's
 * residual streams after every block ([B, T, C] per layer). Where a layer's [B·T, V] logits exceed
 * one chunk (lens-chunks.ts: GPT-2's vocabulary past 20 positions) the divergences are computed a
 * chunk of rows at a time; `trainedHead` names the head tensors that are trained (their gradient
 * then flows through every layer's lens too).
 */
export function layerDivergences(
  student: Transformer,
  studentHidden: tf.Tensor3D[],
  teacher: Transformer,
  teacherHidden: tf.Tensor3D[],
  opts: DivergenceOptions,
  gateOpts: DivergenceOptions = opts,
  lens: LensOptions = {},
): LayerDivergences {
  const L = studentHidden.length;
  const tHidden = layerMap(L, teacherHidden.length).map((g) => teacherHidden[g - 1]!);
  // The teacher is frozen: the fused program (one each way, where it runs) takes its side as a constant.
  const D = fusedHere(FUSED.divergence) ? fusedStudentDivergence : divergence;
  const [B, T] = studentHidden[0]!.shape;
  const chunks: LensChunks = { rows: lens.rows ?? lensChunkRows(student.config.vocabSize), trainedHead: lens.trainedHead ?? [] };
  const whole = B * T <= chunks.rows;
  // Per layer, what the divergences are computed from: the student's lens logits [B, T, V] where they fit one chunk
  // (computed once for the loss and the gate), else its residual stream [B, T, C], read out a chunk at a time.
  const tLens = whole ? logitLens(teacher, tHidden) : []; // L_S × [B, T, V]
  const sources: tf.Tensor[] = whole ? logitLens(student, studentHidden) : studentHidden;
  const one = (o: DivergenceOptions, x: tf.Tensor, i: number): tf.Tensor =>
    tf.relu(whole ? D(tLens[i]!, x, o) : chunkedLensDivergence(student, x as tf.Tensor3D, teacher, tHidden[i]!, o, D, chunks)); // [B, T]
  const measured = (o: DivergenceOptions, x: tf.Tensor, i: number) =>
    lens.layerTerm === false && i < L - 1 ? asConstant([x], (y) => one(o, y, i)) : one(o, x, i);
  const perLayer = (o: DivergenceOptions, s: tf.Tensor[]) => tf.stack(s.map((x, i) => measured(o, x, i))) as tf.Tensor3D; // [L_S, B, T]
  const loss = perLayer(opts, sources);
  const gate = sameDivergence(opts, gateOpts) ? loss : (asConstant(sources, (...s) => perLayer(gateOpts, s)) as tf.Tensor3D);
  return { loss, gate };
}
