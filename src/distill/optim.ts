/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter) with global-norm gradient clipping and a
 * linear warm-up + cosine learning-rate schedule. Works on plain tensors by name: frozen weights
 * never get optimiser state. A non-finite loss or gradient leaves every parameter and the state
 * unchanged (the check runs on the device, so no extra readback is needed); the step counter moves
 * only when the caller accepts the update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_GROUP, FUSED, fusedAdamMoments, fusedAdamParam, fusedHere, fusedSumSquares } from '../model/fused';
import { addAll } from '../model/ops';
import type { Weights } from '../model/params';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this (0 = no clipping). */
  gradClip: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, gradClip: 1 };

/** Linear warm-up to `lr`, then cosine decay to minLrFrac·lr at the last step. */
export function lrAt(step: number, o: { lr: number; warmupSteps: number; steps: number; minLrFrac: number }): number {
  if (o.warmupSteps > 0 && step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  const span = Math.max(1, o.steps - o.warmupSteps - 1);
  const progress = Math.min(1, Math.max(0, (step - o.warmupSteps) / span));
  const min = o.minLrFrac * o.lr;
  return min + 0.5 * (o.lr - min) * (1 + Math.cos(Math.PI * progress));
}

export interface AdamWResult {
  params: Weights;
  gradNorm: tf.Scalar;
  /** 1 when the loss and the gradient were finite and the update was applied, else 0. */
  applied: tf.Scalar;
}

/** Parameters whose moments share one state tensor [m (Σn) | v (Σn)], zero at the start (the fused path). */
interface MomentGroup {
  names: string[];
  /** Where each parameter's moments start in the state. */
  offsets: number[];
  state: tf.Tensor1D;
}

function momentGroups(names: string[], params: Weights): MomentGroup[] {
  const groups: MomentGroup[] = [];
  for (let i = 0; i < names.length; i += ADAM_GROUP) {
    const part = names.slice(i, i + ADAM_GROUP);
    const offsets: number[] = [];
    let total = 0;
    for (const n of part) {
      offsets.push(total);
      total += params[n]!.size;
    }
    groups.push({ names: part, offsets, state: tf.keep(tf.zeros([2 * total])) as tf.Tensor1D }); // outlives the caller's tidy
  }
  return groups;
}

/** Parameters above this many values update a block of rows at a time (see AdamW.referenceStep). */
export const UPDATE_SLICE_VALUES = 1 << 22;

/** Row blocks of a parameter of `shape` holding at most `most` values each (at least one row; a vector is one block). */
export function rowBlocks(shape: readonly number[], most: number): { begin: number; rows: number }[] {
  const rows = shape[0] ?? 1;
  const rowValues = shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape.length < 2 || rows * rowValues <= most) return [{ begin: 0, rows }];
  const per = Math.max(1, Math.floor(most / rowValues));
  return Array.from({ length: Math.ceil(rows / per) }, (_, i) => ({ begin: i * per, rows: Math.min(per, rows - i * per) }));
}

/** What a step is asked to do besides updating. */
export interface StepOptions {
  /** False for a dry run (profiling): the moments and the step count stay as they were. */
  commit?: boolean;
  /**
   * The caller gives up the gradients: each is freed once its parameter is updated, so the new weights take
   * the gradients' place instead of adding to them (a GPT-2-small full fine-tuning step: 0.5 GB less).
   */
  freeGrads?: boolean;
}

/**
 * Values the reference update adds at its peak, at the update of the largest parameter (`largest` values):
 * 11 tensors of its size at once (its new weights and moments, their temporaries; measured in
 * test/distill/optim.test.ts), or, above `sliceValues`, its new weights twice (the blocks and their join)
 * and one block's 11. The other parameters' new weights take their freed gradients' place.
 */
export function updatePeakValues(largest: number, rowValues: number, sliceValues = UPDATE_SLICE_VALUES): number {
  if (largest <= sliceValues) return 11 * largest;
  return 2 * largest + 11 * Math.max(rowValues, Math.floor(sliceValues / rowValues) * rowValues);
}

export class AdamW {
  /** The reference path's moments: per parameter, one tensor per block of rows (rowBlocks). */
  private m: Record<string, tf.Tensor[]> = {};
  private v: Record<string, tf.Tensor[]> = {};
  /** The fused path's state: per group of parameters, their moments in one tensor [m (Σn) | v (Σn)]. */
  private groups: MomentGroup[] = [];
  private t = 0;
  /** The step count of an update not yet accepted (see accept). */
  private pendingT: number | null = null;
  /** Whether updates run as fused programs (decided at the first step: the state's form follows). */
  private fused: boolean | null = null;

  constructor(
    readonly names: string[],
    readonly o: AdamWOptions,
    /** The reference path updates parameters larger than this a block of rows at a time. */
    readonly sliceValues = UPDATE_SLICE_VALUES,
  ) {}

  /**
   * Counts the last update as a step (the caller read it back and found it finite). Until then the
   * step counter — and so the bias correction — stays where it was: a rejected step (non-finite
   * loss or gradient, which also leaves the moments unchanged) leaves the optimiser as it was.
   */
  accept(): void {
    if (this.pendingT === null) throw new Error('AdamW.accept: no update to accept');
    this.t = this.pendingT;
    this.pendingT = null;
  }

  /** Steps accepted so far. */
  get steps(): number {
    return this.t;
  }

  /** Forgets the moments (as at step 0). */
  reset(): void {
    this.dispose();
    this.t = 0;
    this.pendingT = null;
  }

  /** Bytes held by the optimiser state. */
  stateBytes(): number {
    return [...Object.values(this.m).flat(), ...Object.values(this.v).flat(), ...this.groups.map((g) => g.state)].reduce((a, t) => a + t.size * 4, 0);
  }

  /**
   * One update. Returns the new parameters (the caller swaps them in and disposes the old ones);
   * the moments are replaced internally unless `commit` is false (a dry run for profiling).
   */
  step(params: Weights, grads: Weights, loss: tf.Scalar, lr: number, { commit = true, freeGrads = false }: StepOptions = {}): AdamWResult {
    this.fused ??= fusedHere(FUSED.adamMoments) && fusedHere(FUSED.adamParam) && fusedHere(FUSED.sumSquares);
    const out = this.fused ? this.fusedStep(params, grads, loss, lr, commit, freeGrads) : this.referenceStep(params, grads, loss, lr, commit, freeGrads);
    if (commit) this.pendingT = this.t + 1;
    return out;
  }

  /**
   * The update as tfjs ops, one parameter at a time and, for a parameter above `sliceValues`, one block of rows
   * at a time: its temporaries (about eleven of the block's size) stay small and the new weights are joined
   * from the blocks (GPT-2's [50,257, 768] embedding: 11 × 154 MB at its peak became 2 × 154 MB). Every
   * temporary lives in its own tidy: one tidy over the whole update kept ~15 per parameter alive until its end.
   */
  private referenceStep(params: Weights, grads: Weights, loss: tf.Scalar, lr: number, commit: boolean, freeGrads: boolean): AdamWResult {
    const t = this.t + 1;
    const { beta1, beta2, eps, weightDecay, gradClip } = this.o;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    return tf.tidy(() => {
      const sq = this.names.map((n) => tf.tidy(() => tf.sum(tf.square(grads[n]!))));
      const gradNorm = tf.sqrt(addAll(sq)) as tf.Scalar;
      const ok = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(gradNorm));
      const scale = gradClip > 0 ? tf.minimum(1, tf.div(gradClip, tf.add(gradNorm, 1e-6))) : tf.scalar(1);
      const next: Weights = {};
      for (const n of this.names) {
        const whole = params[n]!;
        const decay = weightDecay > 0 && whole.rank >= 2 ? weightDecay : 0; // no decay on gains/biases
        const blocks = rowBlocks(whole.shape, this.sliceValues);
        const rowsOf = (x: tf.Tensor, b: { begin: number; rows: number }) =>
          blocks.length === 1 ? x : tf.slice(x, b.begin, b.rows); // a copy of the block
        const parts = blocks.map((b, i) => {
          const p = rowsOf(whole, b);
          const g = tf.tidy(() => tf.mul(rowsOf(grads[n]!, b), scale));
          const m0 = this.m[n]?.[i] ?? tf.zerosLike(p);
          const v0 = this.v[n]?.[i] ?? tf.zerosLike(p);
          const m1 = tf.tidy(() => tf.add(tf.mul(m0, beta1), tf.mul(g, 1 - beta1)));
          const v1 = tf.tidy(() => tf.add(tf.mul(v0, beta2), tf.mul(tf.square(g), 1 - beta2)));
          g.dispose();
          const p1 = tf.tidy(() => {
            let upd = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), eps));
            if (decay > 0) upd = tf.add(upd, tf.mul(p, decay));
            return tf.sub(p, tf.mul(upd, lr));
          });
          const keep = tf.broadcastTo(ok, p.shape);
          const out = tf.where(keep, p1, p);
          // Committed moments replace the old ones block by block (where the update is not applied they hold
          // the same values), so two copies of the moments never exist: 1 GB less at GPT-2 small.
          const stored = this.m[n]?.[i] !== undefined;
          if (commit) {
            (this.m[n] ??= [])[i] = tf.keep(tf.where(keep, m1, m0));
            (this.v[n] ??= [])[i] = tf.keep(tf.where(keep, v1, v0));
          }
          tf.dispose([keep, p1, m1, v1, ...(p === whole ? [] : [p]), ...(commit || !stored ? [m0, v0] : [])]);
          return out;
        });
        next[n] = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
        if (parts.length > 1) tf.dispose(parts);
        if (freeGrads) grads[n]!.dispose();
      }
      return { params: next, gradNorm, applied: tf.cast(ok, 'float32') as tf.Scalar };
    });
  }

  /**
   * The same update as programs over groups of parameters (src/engine/fused/adamw.ts): per group
   * Σg² and the moments in place, then one program per parameter. A dry run (commit false) and a
   * step that is not finite leave the moments as they were: the programs skip their writes.
   */
  private fusedStep(params: Weights, grads: Weights, loss: tf.Scalar, lr: number, commit: boolean, freeGrads: boolean): AdamWResult {
    const t = this.t + 1;
    const { beta1, beta2, eps, weightDecay, gradClip } = this.o;
    if (this.groups.length === 0) this.groups = momentGroups(this.names, params);
    return tf.tidy(() => {
      const sums = this.groups.map((g) => fusedSumSquares(g.names.map((n) => grads[n]!))); // [1] each
      const gradNorm = tf.sqrt(tf.reshape(addAll(sums), [])) as tf.Scalar;
      const ok = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(gradNorm));
      const scale = gradClip > 0 ? tf.minimum(1, tf.div(gradClip, tf.add(gradNorm, 1e-6))) : tf.scalar(1);
      const apply = commit ? tf.cast(ok, 'float32') : tf.scalar(0); // a dry run changes nothing
      const control = tf.stack([scale, apply]) as tf.Tensor1D; // [2]
      const next: Weights = {};
      for (const g of this.groups) {
        const before = g.state;
        g.state = tf.keep(fusedAdamMoments(before, g.names.map((n) => grads[n]!), control, beta1, beta2)); // in place
        before.dispose(); // the handle only: the buffer lives on in the new one
        g.names.forEach((n, j) => {
          const p = params[n]!;
          const decay = weightDecay > 0 && p.rank >= 2 ? weightDecay : 0; // no decay on gains/biases
          next[n] = fusedAdamParam(p, g.state, control, { offset: g.offsets[j]!, lr, bc1: 1 - beta1 ** t, bc2: 1 - beta2 ** t, eps, decay });
        });
        if (freeGrads) g.names.forEach((n) => grads[n]!.dispose()); // their programs are queued: the buffers stay until run
      }
      return { params: next, gradNorm, applied: tf.cast(ok, 'float32') as tf.Scalar };
    });
  }

  dispose(): void {
    tf.dispose([...Object.values(this.m).flat(), ...Object.values(this.v).flat(), ...this.groups.map((g) => g.state)]);
    this.m = {};
    this.v = {};
    this.groups = [];
  }
}
