/**
 * One training step of any method (docs/method.md): a batch (a student rollout with teacher
 * intervention, or gold data), the teacher's view of it, the step's loss and its gradient with
 * respect to the trainable tensors only, and the AdamW update. What the step measures besides its
 * loss is the monitors' (monitors.ts); every number it reports is read back from the device once.
 * The update is guarded on the device: a non-finite loss or gradient leaves every weight as it
 * was, and the step throws NonFiniteError.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DivergenceOptions } from '../model/losses';
import type { SamplingOptions } from '../model/sampling';
import { type Transformer, allParams, forward, valueAndGradsWithAux } from '../model/transformer';
import type { Example } from '../data/tasks';
import type { Tokenizer } from '../data/tokenizer';
import type { DistillConfig } from '../config/knobs';
import type { MethodSpec } from '../config/methods';
import type { StepRecord } from '../protocol/records';
import { disposeBatch, encodeBatch, validMask } from './batch';
import { Rng } from '../model/rng';
import { layerDivergences } from './layers';
import { HEAD_WEIGHTS } from './lens-chunks';
import { type MonitorFields, collectMonitors } from './monitors';
import type { AdamW } from './optim';
import { type ReadValues, Readback, type Slot } from './readback';
import { type Rollout, disposeRollout, stiRollout } from './rollout';
import { type Schedule, tauAlong } from './schedule';
import { stepLoss } from './step-loss';

export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    what: string,
  ) {
    super(`${what} is not finite at step ${step}; the run stopped and kept the weights ${step === 0 ? 'it started with' : `of step ${step - 1}`}`);
    this.name = 'NonFiniteError';
  }
}

/** What a step works with: the run's models, settings and optimiser (the Trainer holds them). */
export interface StepContext {
  readonly cfg: DistillConfig;
  readonly spec: MethodSpec;
  readonly model: Transformer;
  readonly teacher: Transformer | null;
  readonly tokenizer: Tokenizer;
  /** Id of the end-of-response mark, or −1 when responses have none. */
  readonly eosId: number;
  readonly trainableNames: string[];
  readonly optimizer: AdamW;
  /** The loss's divergence. */
  readonly divergence: DivergenceOptions;
  /** The divergence the threshold trigger and the layer gate compare with τ. */
  readonly triggerDivergence: DivergenceOptions;
  readonly sampling: SamplingOptions;
  /** τ(s, t), or null when the method has no threshold. */
  readonly schedule: Schedule | null;
}

/** What this step is: its index, threshold, learning rate, batch, and whether it is a rollout. */
export interface StepPlan {
  step: number;
  lr: number;
  onPolicy: boolean;
  examples: Example[];
  /** Measure only: nothing is updated (peak-memory profiling). */
  dryRun: boolean;
}

/** The step's record but for what the caller measures after the update (time, memory). */
export type StepResult = Omit<StepRecord, 'msPerStep' | 'tokensPerSec' | 'memory'> & { tokens: number };

/**
 * Runs one step. On success `commit` receives the updated trainable tensors (by name; the caller
 * swaps them in and frees the old ones) unless this is a dry run.
 */
export async function trainStep(ctx: StepContext, plan: StepPlan, commit: (next: Record<string, tf.Tensor>) => void): Promise<StepResult> {
  const { cfg, model, teacher } = ctx;
  const s = plan.step;
  const batch = encodeBatch(ctx.tokenizer, plan.examples);
  const [B, P] = batch.prompt.shape;
  const R = batch.response.shape[1];
  const tauByPosition = ctx.schedule ? tauAlong(ctx.schedule, s, R) : null; // τ(s, t) for t < R
  let rollout: Rollout | null = null;
  if (plan.onPolicy) {
    rollout = stiRollout(model, teacher!, batch.prompt, {
      length: R,
      trigger: cfg.trigger,
      tau: tauByPosition ?? [],
      topK: cfg.topK,
      divergence: ctx.triggerDivergence,
      sampling: ctx.sampling,
      seed: Rng.derive(cfg.seedSample, `rollout:${s}`).nextUint32(),
    });
  }
  const out = new Readback();
  // The updated tensors, until they are handed to `commit` (or freed, after a dry run or a failure).
  const updated: { next: Record<string, tf.Tensor> | null } = { next: null };
  try {
    // The slots of the step's own numbers and the monitors' fill, set inside the tidy.
    let slots!: Record<'loss' | 'lossOut' | 'lossLayer' | 'lossCe' | 'gradNorm' | 'applied', Slot>;
    let fill!: (v: ReadValues) => MonitorFields;
    tf.tidy(() => {
      const response = rollout ? rollout.tokens : batch.response;
      const seq = tf.concat([batch.prompt, response], 1); // [B, P + R]
      const T = P + R - 1;
      const inputs = tf.slice(seq, [0, 0], [B, T]) as tf.Tensor2D; // [B, T]
      const targets = tf.slice(seq, [0, 1], [B, T]) as tf.Tensor2D; // [B, T]
      const valid = rollout ? validMask(rollout.tokens, ctx.eosId) : (tf.cast(tf.onesLike(batch.response), 'float32') as tf.Tensor2D); // [B, R]
      const mask = tf.concat([tf.zeros([B, P - 1]), valid], 1) as tf.Tensor2D; // [B, T]: response-predicting positions
      const teacherOut = teacher ? forward(teacher, inputs, { returnHidden: true }) : null;
      const tau = tauByPosition ? tf.tensor1d([...new Array<number>(P - 1).fill(Infinity), ...tauByPosition]) : null; // [T]: τ_t of the response positions
      const trainedHead = HEAD_WEIGHTS.filter((n) => ctx.trainableNames.includes(n)); // their gradient flows through every lens too
      const dropoutSeed = model.lora?.config.dropout ? Rng.derive(cfg.seedSample, `dropout:${s}`).nextUint32() : undefined;
      const { value, grads, aux } = valueAndGradsWithAux(model, ctx.trainableNames, (m) => {
        const o = forward(m, inputs, { returnHidden: true, dropoutSeed });
        const D = teacher ? layerDivergences(m, o.hidden!, teacher, teacherOut!.hidden!, ctx.divergence, ctx.triggerDivergence, { trainedHead, layerTerm: cfg.wLayer > 0 }) : null; // [L, B, T] each
        const terms = stepLoss({ divergence: D?.loss ?? null, gate: D?.gate, logits: o.logits, targets, mask, tau, gold: !rollout }, cfg);
        const aux: Record<string, tf.Tensor> = { lossOut: terms.lossOut, lossLayer: terms.lossLayer, lossCe: terms.lossCe };
        if (D && terms.fired) Object.assign(aux, { D: D.loss, fired: terms.fired });
        return { loss: terms.loss, aux };
      });
      const current = Object.fromEntries(ctx.trainableNames.map((n) => [n, allParams(model)[n]!]));
      const upd = ctx.optimizer.step(current, grads, value, plan.lr, { commit: !plan.dryRun, freeGrads: true }); // new weights take the gradients’ place
      updated.next = Object.fromEntries(Object.entries(upd.params).map(([n, t]) => [n, tf.keep(t)]));
      slots = {
        loss: out.add(value),
        lossOut: out.add(aux.lossOut!),
        lossLayer: out.add(aux.lossLayer!),
        lossCe: out.add(aux.lossCe!),
        gradNorm: out.add(upd.gradNorm),
        applied: out.add(upd.applied),
      };
      const divergence = (aux.D as tf.Tensor3D | undefined) ?? null;
      const fired = (aux.fired as tf.Tensor3D | undefined) ?? null;
      fill = collectMonitors({ cfg, step: s, model, tokenizer: ctx.tokenizer, examples: batch.examples, P, R, rollout, valid, mask, divergence, fired }, out);
      tf.dispose([aux.D, aux.fired].filter((t): t is tf.Tensor => t !== undefined)); // kept by the gradient's aux; read by now
    });
    const values = await out.read();
    const loss = values.scalar(slots.loss);
    const applied = values.scalar(slots.applied);
    const gradNorm = values.scalar(slots.gradNorm);
    if (!Number.isFinite(loss) || applied !== 1) {
      throw new NonFiniteError(s, Number.isFinite(loss) ? `the gradient (global norm ${gradNorm}, applied ${applied})` : `the loss (${loss})`);
    }
    if (!plan.dryRun) {
      ctx.optimizer.accept();
      commit(updated.next!);
      updated.next = null;
    }
    return {
      step: s,
      loss,
      lossOut: values.scalar(slots.lossOut),
      lossLayer: values.scalar(slots.lossLayer),
      lossCe: values.scalar(slots.lossCe),
      tau: tauByPosition?.[0] ?? null,
      ...(tauByPosition ? { tauByPosition } : {}),
      onPolicy: plan.onPolicy,
      ...fill(values),
      lr: plan.lr,
      gradNorm,
      tokens: B * (P + R - 1),
    };
  } finally {
    out.dispose();
    if (updated.next) tf.dispose(Object.values(updated.next)); // a dry run, or a step that failed
    disposeBatch(batch);
    if (rollout) disposeRollout(rollout);
  }
}
