/**
 * Calibrating the threshold before step 0 (docs/method.md, "τ0"): in auto mode τ0 is a quantile of
 * the output-layer trigger divergence over every counted position of one warm-up rollout of the
 * untrained student, without intervention.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DivergenceOptions } from '../model/losses';
import { Rng } from '../model/rng';
import type { SamplingOptions } from '../model/sampling';
import type { Transformer } from '../model/transformer';
import type { DataSource } from '../data/source';
import type { DistillConfig } from '../config/knobs';
import { TRIGGER_TABLE } from '../model/triggers';
import type { MethodSpec } from '../config/methods';
import { disposeBatch, encodeBatch, validMask } from './batch';
import { disposeRollout, stiRollout } from './rollout';
import { type Schedule, makeSchedule } from './schedule';

export interface CalibrationInputs {
  student: Transformer;
  teacher: Transformer | null;
  data: DataSource;
  eosId: number;
  /** The trigger divergence. */
  divergence: DivergenceOptions;
  sampling: SamplingOptions;
}

/** Whether a run has a threshold: for the rollout's trigger, or for the layer-selective term. */
export function needsTau(spec: MethodSpec, cfg: DistillConfig): boolean {
  return (spec.signal === 'onpolicy' && TRIGGER_TABLE[cfg.trigger].thresholded) || (spec.signal !== 'ce' && cfg.wLayer > 0);
}

/** Output-layer trigger divergence at every valid position of a student rollout without intervention. */
export async function warmupDivergences(x: CalibrationInputs, cfg: DistillConfig): Promise<Float32Array> {
  const batch = encodeBatch(x.data.tokenizer, x.data.trainBatch(Rng.derive(cfg.seedData, 'warmup'), cfg.batchSize));
  const r = stiRollout(x.student, x.teacher!, batch.prompt, {
    length: batch.response.shape[1],
    trigger: 'none',
    tau: [],
    topK: cfg.topK,
    divergence: x.divergence,
    sampling: x.sampling,
    seed: Rng.derive(cfg.seedSample, 'warmup').nextUint32(),
  });
  const valid = validMask(r.tokens, x.eosId); // [B, R]
  const packed = tf.stack([r.divergence, valid]); // [2, B, R]: one readback
  const v = (await packed.data()) as Float32Array;
  const n = r.divergence.size;
  tf.dispose([packed, valid]);
  disposeBatch(batch);
  disposeRollout(r);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (v[n + i]! > 0) out.push(v[i]!);
  return Float32Array.from(out);
}

/** The run's threshold schedule, or null when the method has none. */
export async function calibrateSchedule(x: CalibrationInputs, cfg: DistillConfig, spec: MethodSpec): Promise<Schedule | null> {
  if (!needsTau(spec, cfg)) return null;
  return makeSchedule(cfg, cfg.tauMode === 'auto' ? await warmupDivergences(x, cfg) : undefined);
}
