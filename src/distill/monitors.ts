/**
 * What a training step measures besides its loss, one monitor each: the tensors it adds to the
 * step's single readback and the record fields it fills from the values read. A monitor only
 * reads what the step computed; it never changes the update.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Transformer } from '../model/transformer';
import type { DistillConfig } from '../config/knobs';
import type { StepRecord } from '../protocol/records';
import type { Tokenizer } from '../data/tokenizer';
import type { Example } from '../data/tasks';
import { effectiveRank, singularValuesFromGrams } from './metrics';
import type { ReadValues, Readback } from './readback';
import type { Rollout } from './rollout';
import { layerStats } from './step-loss';

/** What a step has on the device once its loss is taken (inside the step's tidy). */
export interface StepTensors {
  cfg: DistillConfig;
  step: number;
  model: Transformer;
  tokenizer: Tokenizer;
  examples: Example[];
  /** Prompt and response lengths. */
  P: number;
  R: number;
  /** The student rollout of an on-policy step, else null. */
  rollout: Rollout | null;
  /** 1 at the response positions that count: [B, R]. */
  valid: tf.Tensor2D;
  /** The same over the step's input positions (the prompt's but the last are 0): [B, T]. */
  mask: tf.Tensor2D;
  /** D_ℓ,t of every student layer, the output last: [L, B, T] (null without a teacher). */
  divergence: tf.Tensor3D | null;
  /** 1 where the layer-selective term fired: [L, B, T] (null without a teacher). */
  fired: tf.Tensor3D | null;
}

/** The record fields monitors fill. */
export type MonitorFields = Pick<
  StepRecord,
  'interventionRate' | 'interventionByPosition' | 'divergenceByPosition' | 'teacherTokens' | 'rolloutTokens' | 'layerInterventionRate' | 'layerDivergence' | 'heatmap' | 'sample' | 'effectiveRank'
>;

/** Fills the record from the values read. */
type Fill = (values: ReadValues, rec: MonitorFields) => void;

export interface Monitor {
  /** What it measures, for the page and docs. */
  what: string;
  /** Adds its tensors to the readback and says how it fills the record; null when it does not measure this step. */
  collect(x: StepTensors, out: Readback): Fill | null;
}

const heatmapDue = (x: StepTensors) => x.cfg.heatmapEvery > 0 && x.step % x.cfg.heatmapEvery === 0;

/**
 * The rollout's counted tokens and those the teacher produced, and by response position the share
 * of the batch's sequences (of those still counted there) whose token came from the teacher and
 * their mean trigger divergence.
 */
export const interventionMonitor: Monitor = {
  what: 'tokens the teacher took, overall and by response position, with the trigger divergence',
  collect(x, out) {
    if (!x.rollout) return null; // a gold batch: the rate stays 0
    const r = x.rollout;
    const taken = tf.mul(r.intervened, x.valid); // [B, R]
    const counted = tf.sum(x.valid, 0); // [R]
    const teacherTokens = out.add(tf.sum(taken));
    const rolloutTokens = out.add(tf.sum(counted));
    const byPosition = out.add(tf.div(tf.sum(taken, 0), tf.maximum(counted, 1))); // [R]
    const divergence = out.add(tf.div(tf.sum(tf.mul(r.divergence, x.valid), 0), tf.maximum(counted, 1))); // [R]
    return (v, rec) => {
      rec.teacherTokens = v.scalar(teacherTokens);
      rec.rolloutTokens = v.scalar(rolloutTokens);
      rec.interventionRate = rec.teacherTokens / Math.max(rec.rolloutTokens, 1);
      rec.interventionByPosition = v.get(byPosition);
      rec.divergenceByPosition = v.get(divergence);
    };
  },
};

/** Per student layer: mean divergence and the share of positions where its term fired. */
export const layerMonitor: Monitor = {
  what: 'per-layer divergence and intervention rate',
  collect(x, out) {
    if (!x.divergence || !x.fired) return null; // no teacher: the series stay empty
    const stats = layerStats(x.divergence, x.fired, x.mask);
    const d = out.add(stats.divergence);
    const rate = out.add(stats.rate);
    return (v, rec) => ((rec.layerDivergence = v.get(d)), (rec.layerInterventionRate = v.get(rate)));
  },
};

/** Layer × response position divergence of the batch's first sequence, every heatmapEvery steps. */
export const heatmapMonitor: Monitor = {
  what: 'layer × position divergence of the first sequence',
  collect(x, out) {
    if (!x.divergence || !heatmapDue(x)) return null;
    const L = x.divergence.shape[0];
    const heat = out.add(tf.reshape(tf.slice(x.divergence, [0, 0, x.P - 1], [L, 1, x.R]), [L * x.R]));
    return (v, rec) => (rec.heatmap = { layers: L, positions: x.R, values: v.get(heat) });
  },
};

/** The first rollout's response, with the positions the teacher took and the trigger divergence, with the heat map. */
export const sampleMonitor: Monitor = {
  what: 'the first rollout, with the tokens the teacher took',
  collect(x, out) {
    if (!x.rollout || !heatmapDue(x)) return null;
    const r = x.rollout;
    const tokens = out.add(tf.cast(tf.slice(r.tokens, [0, 0], [1, x.R]), 'float32'));
    const mask = out.add(tf.slice(r.intervened, [0, 0], [1, x.R]));
    const d = out.add(tf.slice(r.divergence, [0, 0], [1, x.R]));
    return (v, rec) => {
      rec.sample = { prompt: x.examples[0]!.prompt, response: x.tokenizer.decode(v.get(tokens)), intervened: v.get(mask), divergence: v.get(d) };
    };
  },
};

/** Effective rank of every LoRA ΔW = A·B from its r × r Gram matrices, every rankEvery steps. */
export const rankMonitor: Monitor = {
  what: 'effective rank of each LoRA update',
  collect(x, out) {
    const lora = x.model.lora;
    if (!lora || x.cfg.rankEvery <= 0 || x.step % x.cfg.rankEvery !== 0) return null;
    const grams = Object.keys(lora.tensors)
      .filter((n) => n.endsWith('.lora_A'))
      .map((name) => {
        const A = lora.tensors[name] as tf.Tensor2D; // [in, r]
        const B = lora.tensors[name.replace('lora_A', 'lora_B')] as tf.Tensor2D; // [r, out]
        return { path: name.slice(0, -'.lora_A'.length), a: out.add(tf.matMul(A, A, true, false)), b: out.add(tf.matMul(B, B, false, true)) };
      });
    return (v, rec) => {
      rec.effectiveRank = Object.fromEntries(grams.map((g) => [g.path, effectiveRank(singularValuesFromGrams(v.get(g.a), v.get(g.b), lora.config.rank))]));
    };
  },
};

/** Every monitor of a training step, in the order they read. */
export const MONITORS: readonly Monitor[] = [interventionMonitor, layerMonitor, heatmapMonitor, sampleMonitor, rankMonitor];

/** Runs every monitor's collect (inside the step's tidy); the returned function fills a record from the values read. */
export function collectMonitors(x: StepTensors, out: Readback): (values: ReadValues) => MonitorFields {
  const fills = MONITORS.map((m) => m.collect(x, out)).filter((f): f is Fill => f !== null);
  return (values) => {
    const rec: MonitorFields = { interventionRate: 0, layerInterventionRate: [], layerDivergence: [] };
    for (const f of fills) f(values, rec);
    return rec;
  };
}
