/**
 * The intervention threshold, decaying exponentially over training steps (design §1.2):
 *   τ(s) = τmin + (τ0 − τmin)·exp(−k·s/S)
 * In auto mode τ0 is the q0-quantile of the output-layer divergence measured on a warm-up
 * rollout before step 0 (so about 1 − q0 of the positions are intervened at the start) and
 * τmin = tauMinFrac·τ0; in raw mode τ0 and τmin are given in nats.
 */

export interface Schedule {
  tau0: number;
  tauMin: number;
  k: number;
  steps: number;
}

export function tauAt(sch: Schedule, step: number): number {
  return sch.tauMin + (sch.tau0 - sch.tauMin) * Math.exp((-sch.k * step) / Math.max(sch.steps, 1));
}

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

/** Schedule from warm-up divergences (auto) or raw values. */
export function makeSchedule(
  o: { tauMode: 'auto' | 'raw'; q0: number; tau0: number; tauMin: number; tauMinFrac: number; tauK: number; steps: number },
  warmup?: ArrayLike<number>,
): Schedule {
  if (o.tauMode === 'raw') return { tau0: o.tau0, tauMin: o.tauMin, k: o.tauK, steps: o.steps };
  if (!warmup) throw new Error('makeSchedule: auto mode needs warm-up divergences');
  const tau0 = quantile(warmup, o.q0);
  return { tau0, tauMin: o.tauMinFrac * tau0, k: o.tauK, steps: o.steps };
}
