/**
 * One training step of any method (design §1.5): a batch (a student rollout with teacher
 * intervention, or gold data), the teacher's view of it, the step's loss and its gradient with
 * respect to the trainable tensors only, and the AdamW update. Every number the step reports is
 * read back from the device once. The update is guarded on the device: a non-finite loss or
 * gradient leaves every weight as it was, and the step throws NonFiniteError.
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
import { layerDivergences } from './layers';
import { effectiveRank, singularValuesFromGrams } from './metrics';
import type { AdamW } from './optim';
import { Readback } from './readback';
import { type Rollout, disposeRollout, stiRollout } from './rollout';
import { layerStats, stepLoss } from './step-loss';

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
  readonly divergence: DivergenceOptions;
  readonly sampling: SamplingOptions;
}

/** What this step is: its index, threshold, learning rate, batch, and whether it is a rollout. */
export interface StepPlan {
  step: number;
  tau: number | null;
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
  const wantHeat = cfg.heatmapEvery > 0 && s % cfg.heatmapEvery === 0;
  const wantRank = model.lora !== null && cfg.rankEvery > 0 && s % cfg.rankEvery === 0;
  let rollout: Rollout | null = null;
  if (plan.onPolicy) {
    rollout = stiRollout(model, teacher!, batch.prompt, {
      length: R,
      trigger: cfg.trigger,
      tau: plan.tau ?? Infinity,
      topK: cfg.topK,
      divergence: ctx.divergence,
      sampling: ctx.sampling,
      seed: (cfg.seedSample * 1_000_003 + s) >>> 0,
    });
  }
  const out = new Readback();
  // The updated tensors, until they are handed to `commit` (or freed, after a dry run or a failure).
  const updated: { next: Record<string, tf.Tensor> | null } = { next: null };
  try {
    tf.tidy(() => {
      const response = rollout ? rollout.tokens : batch.response;
      const seq = tf.concat([batch.prompt, response], 1); // [B, P + R]
      const T = P + R - 1;
      const inputs = tf.slice(seq, [0, 0], [B, T]) as tf.Tensor2D; // [B, T]
      const targets = tf.slice(seq, [0, 1], [B, T]) as tf.Tensor2D; // [B, T]
      const valid = rollout ? validMask(rollout.tokens, ctx.eosId) : (tf.cast(tf.onesLike(batch.response), 'float32') as tf.Tensor2D); // [B, R]
      const mask = tf.concat([tf.zeros([B, P - 1]), valid], 1) as tf.Tensor2D; // [B, T]: response-predicting positions
      const teacherOut = teacher ? forward(teacher, inputs, { returnHidden: true }) : null;
      const L = model.config.nLayer;
      const dropoutSeed = model.lora?.config.dropout ? cfg.seedSample * 7 + s : undefined;
      const { value, grads, aux } = valueAndGradsWithAux(model, ctx.trainableNames, (m) => {
        const o = forward(m, inputs, { returnHidden: true, dropoutSeed });
        const D = teacher ? layerDivergences(m, o.hidden!, teacher, teacherOut!.hidden!, ctx.divergence) : null; // [L, B, T]
        const terms = stepLoss({ divergence: D, logits: o.logits, targets, mask, tau: plan.tau, gold: !rollout }, cfg);
        const aux: Record<string, tf.Tensor> = { lossOut: terms.lossOut, lossLayer: terms.lossLayer, lossCe: terms.lossCe };
        if (D && terms.fired) {
          const stats = layerStats(D, terms.fired, mask);
          aux.layerDiv = stats.divergence; // [L]
          aux.layerRate = stats.rate; // [L]
          if (wantHeat) aux.heat = tf.reshape(tf.slice(D, [0, 0, P - 1], [L, 1, R]), [L * R]); // first sequence, response positions
        }
        return { loss: terms.loss, aux };
      });
      const current = Object.fromEntries(ctx.trainableNames.map((n) => [n, allParams(model)[n]!]));
      const upd = ctx.optimizer.step(current, grads, value, plan.lr, !plan.dryRun);
      updated.next = Object.fromEntries(Object.entries(upd.params).map(([n, t]) => [n, tf.keep(t)]));
      const tokenRate = rollout ? tf.div(tf.sum(tf.mul(rollout.intervened, valid)), tf.maximum(tf.sum(valid), 1)) : tf.scalar(0);
      out.add('loss', value);
      out.add('lossOut', aux.lossOut!);
      out.add('lossLayer', aux.lossLayer!);
      out.add('lossCe', aux.lossCe!);
      out.add('gradNorm', upd.gradNorm);
      out.add('applied', upd.applied);
      out.add('tokenRate', tokenRate);
      if (aux.layerDiv) {
        out.add('layerDiv', aux.layerDiv);
        out.add('layerRate', aux.layerRate!);
      }
      if (aux.heat) out.add('heat', aux.heat);
      if (wantHeat && rollout) {
        out.add('sampleTokens', tf.cast(tf.slice(rollout.tokens, [0, 0], [1, R]), 'float32'));
        out.add('sampleMask', tf.slice(rollout.intervened, [0, 0], [1, R]));
        out.add('sampleDiv', tf.slice(rollout.divergence, [0, 0], [1, R]));
      }
      if (wantRank) {
        for (const name of Object.keys(model.lora!.tensors).filter((n) => n.endsWith('.lora_A'))) {
          const A = model.lora!.tensors[name] as tf.Tensor2D; // [in, r]
          const Bm = model.lora!.tensors[name.replace('lora_A', 'lora_B')] as tf.Tensor2D; // [r, out]
          const path = name.slice(0, -'.lora_A'.length);
          out.add(`gramA:${path}`, tf.matMul(A, A, true, false));
          out.add(`gramB:${path}`, tf.matMul(Bm, Bm, false, true));
        }
      }
    });
    const read = await out.read();
    const loss = read.loss![0]!;
    if (!Number.isFinite(loss) || read.applied![0] !== 1) {
      throw new NonFiniteError(s, Number.isFinite(loss) ? `the gradient (global norm ${read.gradNorm![0]}, applied ${read.applied![0]})` : `the loss (${loss})`);
    }
    if (!plan.dryRun) {
      ctx.optimizer.accept();
      commit(updated.next!);
      updated.next = null;
    }
    const rec: StepResult = {
      step: s,
      loss,
      lossOut: read.lossOut![0]!,
      lossLayer: read.lossLayer![0]!,
      lossCe: read.lossCe![0]!,
      tau: plan.tau,
      onPolicy: plan.onPolicy,
      interventionRate: read.tokenRate![0]!,
      layerInterventionRate: read.layerRate ?? [],
      layerDivergence: read.layerDiv ?? [],
      lr: plan.lr,
      gradNorm: read.gradNorm![0]!,
      tokens: B * (P + R - 1),
    };
    if (read.heat) rec.heatmap = { layers: model.config.nLayer, positions: R, values: read.heat };
    if (read.sampleTokens) {
      rec.sample = { prompt: batch.examples[0]!.prompt, response: ctx.tokenizer.decode(read.sampleTokens), intervened: read.sampleMask!, divergence: read.sampleDiv! };
    }
    if (wantRank) {
      rec.effectiveRank = {};
      for (const key of Object.keys(read).filter((k) => k.startsWith('gramA:'))) {
        const path = key.slice('gramA:'.length);
        rec.effectiveRank[path] = effectiveRank(singularValuesFromGrams(read[key]!, read[`gramB:${path}`]!, model.lora!.config.rank));
      }
    }
    return rec;
  } finally {
    out.dispose();
    if (updated.next) tf.dispose(Object.values(updated.next)); // a dry run, or a step that failed
    disposeBatch(batch);
    if (rollout) disposeRollout(rollout);
  }
}
