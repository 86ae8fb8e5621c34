/**
 * The run's metrics, outside React state: plain arrays appended as batches arrive from the worker.
 * Components read them when the store's metricsVersion changes (a few times a second at most) and
 * draw downsampled series, so the page stays responsive through thousands of steps.
 */
import type { EvalRecord, FinalRecord, StepRecord } from '../protocol/records';

export const metrics = {
  steps: [] as StepRecord[],
  evals: [] as EvalRecord[],
  final: null as FinalRecord | null,
};

/** The per-position series of a step record (on-policy steps). */
const PER_POSITION = ['tauByPosition', 'interventionByPosition', 'divergenceByPosition'] as const;

/**
 * Appends step records. Their per-position series stay on the newest step and on the steps with a
 * heat map (every heatmapEvery steps), so that a long run's memory does not grow by them at every step.
 */
export function appendSteps(records: StepRecord[]): void {
  const older = [metrics.steps.at(-1), ...records.slice(0, -1)];
  metrics.steps.push(...records);
  for (const r of older) if (r && !r.heatmap) for (const k of PER_POSITION) delete r[k];
}

export function clearMetrics(): void {
  metrics.steps = [];
  metrics.evals = [];
  metrics.final = null;
}

/** At most `max` evenly spaced items (always keeping the last). */
export function downsample<T>(xs: T[], max = 400): T[] {
  if (xs.length <= max) return xs;
  const stride = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max - 1; i++) out.push(xs[Math.floor(i * stride)]!);
  out.push(xs[xs.length - 1]!);
  return out;
}

/** The last record that has a given optional field (heat map, sample, effective rank). */
export function lastWith<K extends keyof StepRecord>(key: K): StepRecord | undefined {
  for (let i = metrics.steps.length - 1; i >= 0; i--) if (metrics.steps[i]![key] !== undefined) return metrics.steps[i];
  return undefined;
}
