/**
 * One benchmark row, the same in Node (scripts/bench.ts) and in the browser worker (the bench
 * page): a run's real trainer on a preset's data, base and teacher, stepped by the one step
 * driver; warm-up steps, then timed ones with the GPU's work counted (gpu-counters.ts); the
 * on-policy methods' rollout timed alone; the logical peak of a step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DistillConfig, METHODS, type Method } from '../config/knobs';
import { resolveConfig } from '../config/resolve';
import { disposeBatch, encodeBatch } from '../distill/batch';
import { StepDriver } from '../distill/driver';
import type { Host } from '../distill/host';
import { median, peakBytes } from '../distill/measure';
import { disposeRollout, stiRollout } from '../distill/rollout';
import { type PreparedRun, disposePrepared, prepareTrainer } from '../distill/run';
import { KERNEL_SETS, type KernelSet, setKernels } from '../model/fused';
import { tauAlong } from '../distill/schedule';
import { Rng } from '../model/rng';
import type { BenchRequest, BenchRow } from '../protocol/bench';
import type { StepRecord } from '../protocol/records';
import { type GpuCounts, takeGpuCounts } from './gpu-counters';

const perStep = (counts: GpuCounts[], k: keyof GpuCounts) => median(counts.map((c) => c[k]));

async function rolloutTokensPerSec(run: PreparedRun, n: number): Promise<number | null> {
  const t = run.trainer;
  if (n === 0 || t.spec.signal !== 'onpolicy' || !t.teacher) return null;
  const batch = encodeBatch(t.tokenizer, t.data.trainBatch(Rng.derive(0, 'bench'), t.cfg.batchSize));
  const [B] = batch.prompt.shape;
  const R = batch.response.shape[1];
  const times: number[] = [];
  try {
    for (let i = 0; i < n + 1; i++) {
      const t0 = performance.now();
      const r = stiRollout(t.model, t.teacher, batch.prompt, { length: R, trigger: t.cfg.trigger, tau: t.schedule ? tauAlong(t.schedule, 0, R) : [], topK: t.cfg.topK, divergence: t.triggerDivergence, sampling: t.sampling, seed: i });
      await r.tokens.data(); // one readback ends the timed work
      disposeRollout(r);
      if (i > 0) times.push(performance.now() - t0); // the first compiles shaders
    }
  } finally {
    disposeBatch(batch);
  }
  return (B * R) / (median(times) / 1000);
}

export async function benchRow(req: BenchRequest, host: Host, knobs: Partial<DistillConfig> = {}): Promise<BenchRow> {
  if (!(METHODS as readonly string[]).includes(req.method)) throw new Error(`bench: unknown method ${JSON.stringify(req.method)}`);
  if (!(KERNEL_SETS as readonly string[]).includes(req.kernels)) throw new Error(`bench: unknown kernel set ${JSON.stringify(req.kernels)}`);
  const cfg = resolveConfig({ ...knobs, preset: req.preset, method: req.method as Method });
  setKernels(req.kernels as KernelSet);
  const run = await prepareTrainer(cfg, host);
  try {
    const t = run.trainer;
    const driver = new StepDriver(t, { steps: req.warmup + req.steps, evaluate: null });
    const recs: StepRecord[] = [];
    const counts: GpuCounts[] = [];
    let tensorsAfterWarmup = tf.memory().numTensors;
    while (!driver.finished) {
      takeGpuCounts();
      const { step } = await driver.next();
      const c = takeGpuCounts();
      if (driver.done <= req.warmup) {
        tensorsAfterWarmup = tf.memory().numTensors;
        continue;
      }
      recs.push(step);
      counts.push(c);
    }
    const tensorGrowth = tf.memory().numTensors - tensorsAfterWarmup;
    const ms = recs.map((r) => r.msPerStep);
    const live = recs.map((r) => r.memory.gpuBytesInUse).filter((x): x is number => x !== undefined);
    const longest = t.data.longestBatch(Rng.derive(cfg.seedData, 'peak'), cfg.batchSize);
    return {
      preset: req.preset,
      method: req.method,
      kernels: req.kernels,
      backend: tf.getBackend(),
      batchSize: cfg.batchSize,
      onPolicySteps: recs.filter((r) => r.onPolicy).length,
      timedSteps: recs.length,
      msPerStepMedian: median(ms),
      msPerStepMin: Math.min(...ms),
      dispatchesPerStep: perStep(counts, 'dispatches'),
      submitsPerStep: perStep(counts, 'submits'),
      readbacksPerStep: perStep(counts, 'readbacks'),
      passesPerStep: perStep(counts, 'passes'),
      newBuffersPerStep: perStep(counts, 'buffers'),
      trainTokensPerSec: median(recs.map((r) => r.tokensPerSec)),
      rolloutTokensPerSec: await rolloutTokensPerSec(run, req.rollouts),
      liveGpuBytesMax: live.length ? Math.max(...live) : null,
      tensorGrowth,
      logicalPeakBytes: (await peakBytes(() => t.trainStep({ dryRun: true, examples: longest }))).logical,
    };
  } finally {
    disposePrepared(run);
  }
}
