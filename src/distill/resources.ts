/**
 * The resources table's runs, host-independent (`paper-table --resources` and the app's Paper
 * view both drive this): each method runs a few training steps with the same batch and lengths,
 * then its step's logical peak is measured and broken down, and the model it deploys decodes the
 * same tokens for a per-token latency. No quality is measured: these figures do not depend on what
 * the weights learned.
 */
import { METHODS, type Method } from '../config/knobs';
import { paperConfig } from '../config/paper-plan';
import { type ResourcePlan, type ResourceRecord, memoryBreakdown } from '../protocol/resources';
import { StepDriver } from './driver';
import type { Host } from './host';
import { disposePrepared, prepareTrainer } from './run';
import { median } from './measure';

export interface ResourceHooks {
  /** Before each method's run. */
  onStart?(method: Method): void;
  /** A method's figures, as soon as they are measured. */
  onRow?(row: ResourceRecord): void;
  /** Checked between steps and methods: true stops (the rows so far are kept by the caller). */
  cancelled?(): boolean;
}

export class ResourcesCancelled extends Error {
  constructor() {
    super('the resources table was stopped');
    this.name = 'ResourcesCancelled';
  }
}


/** One method's resources: `plan.steps` steps, then the peak of one more (its update included) and the decoding latency. */
export async function measureResources(method: Method, plan: ResourcePlan, host: Host, hooks: ResourceHooks = {}): Promise<ResourceRecord> {
  const cfg = { ...paperConfig({ preset: plan.preset, steps: plan.steps, seeds: 1 }, method, 0), batchSize: plan.batchSize };
  const prepared = await prepareTrainer(cfg, host);
  const { trainer } = prepared;
  try {
    const stepMs: number[] = [];
    const cancelled = () => hooks.cancelled?.() ?? false;
    await new StepDriver(trainer, { steps: plan.steps, evaluate: null }).run({ onStep: (rec) => stepMs.push(rec.msPerStep), shouldStop: cancelled });
    if (cancelled()) throw new ResourcesCancelled();
    const counts = trainer.paramCounts();
    const peaks = await trainer.peakStep(true); // a real step: the optimiser's update is part of the peak
    const sizes = { trainableParams: counts.trainable, totalParams: counts.total, teacherParams: counts.teacher, peakBytes: peaks.logical };
    const msPerToken = await trainer.decodeLatency(plan.decodeTokens, plan.decodeRuns, 1);
    return {
      method,
      ...sizes,
      breakdown: memoryBreakdown(sizes),
      ...(peaks.buffers !== null ? { bufferPeakBytes: peaks.buffers } : {}),
      ...(trainer.liveGpuBytes > 0 ? { liveGpuBytes: trainer.liveGpuBytes } : {}),
      msPerStep: median(stepMs),
      msPerToken,
    };
  } finally {
    disposePrepared(prepared);
  }
}

/** The methods' resources one after another (all eight, or `methods`), skipping those `done`. */
export async function runResources(plan: ResourcePlan, host: Host, hooks: ResourceHooks = {}, methods: readonly Method[] = METHODS, done: ResourceRecord[] = []): Promise<ResourceRecord[]> {
  const rows = [...done];
  for (const m of METHODS.filter((x) => methods.includes(x) && !done.some((r) => r.method === x))) {
    if (hooks.cancelled?.()) throw new ResourcesCancelled();
    hooks.onStart?.(m);
    const row = await measureResources(m, plan, host, hooks);
    rows.push(row);
    hooks.onRow?.(row);
  }
  return METHODS.flatMap((m) => rows.filter((r) => r.method === m));
}
