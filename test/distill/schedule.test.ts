/** The threshold schedule and the auto-calibration of τ0. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { type Schedule, TAU_DECAYS, TAU_SHAPES, type TauDecay, type TauShape } from '../../src/config/threshold';
import { makeSchedule, quantile, tauAlong, tauAt } from '../../src/distill/schedule';
import { warmupDivergences } from '../../src/distill/calibrate';
import { Trainer } from '../../src/distill/trainer';
import { MICRO_DATA, microBase, microConfig, microTeacher } from './fixtures';

describe('threshold τ(s, t)', () => {
  const sch = (decay: TauDecay, shape: TauShape): Schedule => ({ decay, shape, lambda: 0.1, tau0: 2, tauMin: 0.1, k: 5, steps: 100 });
  const overSteps = (s: number) => 0.1 + 1.9 * Math.exp((-5 * s) / 100);
  // τ(s, t) by hand for every decay × shape, at steps 0, 50, 100 and positions 0, 3, 10, 15.
  const HAND: Record<TauDecay, Record<TauShape, (s: number, t: number) => number>> = {
    position: { exp: (_, t) => 2 * Math.exp(-0.1 * t), linear: (_, t) => 2 * Math.max(0, 1 - 0.1 * t), constant: () => 2 },
    step: { exp: (s) => overSteps(s), linear: (s) => overSteps(s), constant: (s) => overSteps(s) },
    both: { exp: (s, t) => overSteps(s) * Math.exp(-0.1 * t), linear: (s, t) => overSteps(s) * Math.max(0, 1 - 0.1 * t), constant: (s) => overSteps(s) },
  };
  test.each(TAU_DECAYS.flatMap((d) => TAU_SHAPES.map((sh) => [d, sh] as const)))('%s × %s: τ(s, t) by hand', (decay, shape) => {
    for (const s of [0, 50, 100]) for (const t of [0, 3, 10, 15]) expect(tauAt(sch(decay, shape), s, t), `s ${s}, t ${t}`).toBeCloseTo(HAND[decay][shape](s, t), 12);
  });
  test('position × exp falls by e^(−λ) per response token and is the same at every step; τ(s, 0) = τ0', () => {
    const along = tauAlong(sch('position', 'exp'), 37, 20);
    expect(along[0]).toBe(2);
    for (let t = 1; t < 20; t++) expect(along[t]! / along[t - 1]!).toBeCloseTo(Math.exp(-0.1), 12);
    expect(tauAlong(sch('position', 'exp'), 0, 20)).toEqual(along);
  });
  test('position × linear falls by the same amount per token, to 0 at t = 1/λ; step is one value for all positions', () => {
    const lin = tauAlong(sch('position', 'linear'), 0, 12);
    for (let t = 1; t <= 10; t++) expect(lin[t - 1]! - lin[t]!).toBeCloseTo(0.2, 12);
    expect(lin.slice(10)).toEqual([0, 0]);
    const step = tauAlong(sch('step', 'exp'), 50, 8);
    expect(new Set(step).size).toBe(1);
    for (let s = 1; s <= 100; s++) expect(tauAt(sch('step', 'exp'), s, 0)).toBeLessThan(tauAt(sch('step', 'exp'), s - 1, 0));
  });
  test('quantile interpolates like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([0, 10], 0.8)).toBeCloseTo(8, 12);
    expect(() => quantile([], 0.5)).toThrow();
  });
  test('raw and auto modes', () => {
    const o = { tauDecay: 'both' as const, tauShape: 'linear' as const, tauLambda: 0.2, tauMode: 'raw' as const, q0: 0.8, tau0: 3, tauMin: 0.3, tauMinFrac: 0.05, tauK: 4, steps: 10 };
    expect(makeSchedule(o)).toEqual({ decay: 'both', shape: 'linear', lambda: 0.2, tau0: 3, tauMin: 0.3, k: 4, steps: 10 });
    const auto = makeSchedule({ ...o, tauMode: 'auto' }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(auto.tau0).toBeCloseTo(8, 12);
    expect(auto.tauMin).toBeCloseTo(0.4, 12);
  });
});

test('auto-calibration: about 1 − q0 of the warm-up positions reach τ0 (within 2%)', async () => {
  for (const q0 of [0.8, 0.5]) {
    const cfg = microConfig({ method: 'sti-lora', tauMode: 'auto', q0, batchSize: 16 });
    const teacher = microTeacher();
    const base = microBase();
    const trainer = await Trainer.create(cfg, MICRO_DATA, base, teacher);
    const tau0 = trainer.schedule!.tau0;
    // An independent warm-up rollout (same batch and seed, as the trainer draws it) measured again.
    const d = await warmupDivergences({ student: trainer.model, teacher: trainer.teacher, data: MICRO_DATA, eosId: trainer.eosId, divergence: trainer.triggerDivergence, sampling: trainer.sampling }, cfg);
    const above = d.filter((x) => x >= tau0).length / d.length;
    console.log(`q0 ${q0}: τ0 = ${tau0.toFixed(4)}, ${(100 * above).toFixed(1)}% of ${d.length} warm-up positions reach it`);
    expect(Math.abs(above - (1 - q0))).toBeLessThanOrEqual(0.02);
    expect(trainer.schedule!.tauMin).toBeCloseTo(cfg.tauMinFrac * tau0, 10);
    trainer.dispose();
    tf.dispose([...Object.values(teacher.weights), ...Object.values(base.weights)]);
  }
});
