/**
 * A run's threshold τ(s, t) (its decays and shapes: config/threshold.ts; docs/method.md, "The
 * threshold"). In auto mode τ0 is the q0-quantile of the trigger divergence over every counted
 * position of a warm-up rollout before step 0 (calibrate.ts), and τmin = tauMinFrac·τ0; in raw
 * mode τ0 and τmin are given in nats.
 */
import type { DistillConfig } from '../config/knobs';
import type { Schedule } from '../config/threshold';

export { type Schedule, tauAlong, tauAt } from '../config/threshold';

/** The q-quantile of the values (linear interpolation between order statistics, as numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new Error('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export type ScheduleKnobs = Pick<DistillConfig, 'tauDecay' | 'tauShape' | 'tauLambda' | 'tauMode' | 'q0' | 'tau0' | 'tauMin' | 'tauMinFrac' | 'tauK' | 'steps'>;

/** Schedule from warm-up divergences (auto) or raw values. */
export function makeSchedule(o: ScheduleKnobs, warmup?: ArrayLike<number>): Schedule {
  const shape = { decay: o.tauDecay, shape: o.tauShape, lambda: o.tauLambda, k: o.tauK, steps: o.steps };
  if (o.tauMode === 'raw') return { ...shape, tau0: o.tau0, tauMin: o.tauMin };
  if (!warmup) throw new Error('makeSchedule: auto mode needs warm-up divergences');
  const tau0 = quantile(warmup, o.q0);
  return { ...shape, tau0, tauMin: o.tauMinFrac * tau0 };
}
