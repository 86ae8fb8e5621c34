/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter) with global-norm gradient clipping and a
 * linear warm-up + cosine learning-rate schedule. Works on plain tensors by name: frozen weights
 * never get optimiser state. A non-finite loss or gradient leaves every parameter and the state
 * unchanged (the check runs on the device, so no extra readback is needed); the step counter moves
 * only when the caller accepts the update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED, fusedAdamW, fusedHere, fusedSumSquares } from '../model/fused';
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

export class AdamW {
  private m: Weights = {};
  private v: Weights = {};
  /** The fused path's state: per parameter [3, n] (its last p, m, v). */
  private packed: Weights = {};
  private t = 0;
  /** The step count of an update not yet accepted (see accept). */
  private pendingT: number | null = null;
  /** Whether updates run as fused programs (decided at the first step: the state's form follows). */
  private fused: boolean | null = null;

  constructor(
    readonly names: string[],
    readonly o: AdamWOptions,
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
    return [...Object.values(this.m), ...Object.values(this.v), ...Object.values(this.packed)].reduce((a, t) => a + t.size * 4, 0);
  }

  /**
   * One update. Returns the new parameters (the caller swaps them in and disposes the old ones);
   * the moments are replaced internally unless `commit` is false (a dry run for profiling).
   */
  step(params: Weights, grads: Weights, loss: tf.Scalar, lr: number, commit = true): AdamWResult {
    this.fused ??= fusedHere(FUSED.adamW) && fusedHere(FUSED.sumSquares);
    if (this.fused) return this.fusedStep(params, grads, loss, lr, commit);
    const t = this.t + 1;
    const { beta1, beta2, eps, weightDecay, gradClip } = this.o;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    const out = tf.tidy(() => {
      const sq = this.names.map((n) => tf.sum(tf.square(grads[n]!)));
      const gradNorm = tf.sqrt(addAll(sq)) as tf.Scalar;
      const ok = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(gradNorm));
      const scale = gradClip > 0 ? tf.minimum(1, tf.div(gradClip, tf.add(gradNorm, 1e-6))) : tf.scalar(1);
      const next: Weights = {};
      const m: Weights = {};
      const v: Weights = {};
      for (const n of this.names) {
        const p = params[n]!;
        const g = tf.mul(grads[n]!, scale);
        const m0 = this.m[n] ?? tf.zerosLike(p);
        const v0 = this.v[n] ?? tf.zerosLike(p);
        const m1 = tf.add(tf.mul(m0, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v0, beta2), tf.mul(tf.square(g), 1 - beta2));
        let upd = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), eps));
        if (weightDecay > 0 && p.rank >= 2) upd = tf.add(upd, tf.mul(p, weightDecay)); // no decay on gains/biases
        const p1 = tf.sub(p, tf.mul(upd, lr));
        const keep = tf.broadcastTo(ok, p.shape);
        next[n] = tf.where(keep, p1, p);
        m[n] = tf.where(keep, m1, m0);
        v[n] = tf.where(keep, v1, v0);
      }
      return { next, m, v, gradNorm, applied: tf.cast(ok, 'float32') as tf.Scalar };
    });
    if (commit) {
      tf.dispose([...Object.values(this.m), ...Object.values(this.v)]);
      this.m = Object.fromEntries(Object.entries(out.m).map(([n, x]) => [n, tf.keep(x)]));
      this.v = Object.fromEntries(Object.entries(out.v).map(([n, x]) => [n, tf.keep(x)]));
      this.pendingT = t;
    } else {
      tf.dispose([...Object.values(out.m), ...Object.values(out.v)]);
    }
    return { params: out.next, gradNorm: out.gradNorm, applied: out.applied };
  }

  /** The same update as two programs per parameter (src/engine/fused/adamw.ts). */
  private fusedStep(params: Weights, grads: Weights, loss: tf.Scalar, lr: number, commit: boolean): AdamWResult {
    const t = this.t + 1;
    const { beta1, beta2, eps, weightDecay, gradClip } = this.o;
    const out = tf.tidy(() => {
      const gradNorm = tf.sqrt(tf.reshape(addAll(this.names.map((n) => fusedSumSquares(grads[n]!))), [])) as tf.Scalar;
      const ok = tf.logicalAnd(tf.isFinite(loss), tf.isFinite(gradNorm));
      const scale = gradClip > 0 ? tf.minimum(1, tf.div(gradClip, tf.add(gradNorm, 1e-6))) : tf.scalar(1);
      const control = tf.stack([scale, tf.cast(ok, 'float32')]) as tf.Tensor1D; // [2]
      const next: Weights = {};
      const packed: Weights = {};
      for (const n of this.names) {
        const p = params[n]!;
        const decay = weightDecay > 0 && p.rank >= 2 ? weightDecay : 0; // no decay on gains/biases
        const s = fusedAdamW(p, grads[n]!, (this.packed[n] as tf.Tensor2D | undefined) ?? null, control, { lr, beta1, beta2, bc1: 1 - beta1 ** t, bc2: 1 - beta2 ** t, eps, decay }); // [3, n]
        packed[n] = s;
        next[n] = tf.reshape(tf.slice(s, [0, 0], [1, p.size]), p.shape);
      }
      return { next, packed, gradNorm, applied: tf.cast(ok, 'float32') as tf.Scalar };
    });
    if (commit) {
      tf.dispose(Object.values(this.packed));
      this.packed = Object.fromEntries(Object.entries(out.packed).map(([n, x]) => [n, tf.keep(x)])); // outlive the caller's tidy
      this.pendingT = t;
    } else {
      tf.dispose(Object.values(out.packed));
    }
    return { params: out.next, gradNorm: out.gradNorm, applied: out.applied };
  }

  dispose(): void {
    tf.dispose([...Object.values(this.m), ...Object.values(this.v), ...Object.values(this.packed)]);
    this.m = {};
    this.v = {};
    this.packed = {};
  }
}
