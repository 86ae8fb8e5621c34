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
