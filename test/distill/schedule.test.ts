/** The threshold schedule and the auto-calibration of τ0. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { makeSchedule, quantile, tauAt } from '../../src/distill/schedule';
import { warmupDivergences } from '../../src/distill/calibrate';
import { Trainer } from '../../src/distill/trainer';
import { MICRO_DATA, microBase, microConfig, microTeacher } from './fixtures';

describe('threshold schedule', () => {
  const sch = { tau0: 2, tauMin: 0.1, k: 5, steps: 100 };
  test('τ(s) = τmin + (τ0 − τmin)·exp(−k·s/S)', () => {
    expect(tauAt(sch, 0)).toBe(2);
    expect(tauAt(sch, 100)).toBeCloseTo(0.1 + 1.9 * Math.exp(-5), 12);
    expect(tauAt(sch, 50)).toBeCloseTo(0.1 + 1.9 * Math.exp(-2.5), 12);
    for (let s = 1; s <= 100; s++) expect(tauAt(sch, s)).toBeLessThan(tauAt(sch, s - 1));
    expect(tauAt({ ...sch, k: 0 }, 70)).toBe(2);
  });
  test('quantile interpolates like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([0, 10], 0.8)).toBeCloseTo(8, 12);
    expect(() => quantile([], 0.5)).toThrow();
  });
  test('raw and auto modes', () => {
    const o = { tauMode: 'raw' as const, q0: 0.8, tau0: 3, tauMin: 0.3, tauMinFrac: 0.05, tauK: 4, steps: 10 };
    expect(makeSchedule(o)).toEqual({ tau0: 3, tauMin: 0.3, k: 4, steps: 10 });
    const auto = makeSchedule({ ...o, tauMode: 'auto' }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(auto.tau0).toBeCloseTo(8, 12);
    expect(auto.tauMin).toBeCloseTo(0.4, 12);
  });
});

test('auto-calibration: about 1 − q0 of the warm-up positions reach τ0 (within 2%)', async () => {
  for (const q0 of [0.8, 0.5]) {
    const cfg = microConfig({ method: 'sti-lora', q0, batchSize: 16 });
    const teacher = microTeacher();
    const base = microBase();
    const trainer = await Trainer.create(cfg, MICRO_DATA, base, teacher);
    const tau0 = trainer.schedule!.tau0;
    // An independent warm-up rollout (same batch and seed, as the trainer draws it) measured again.
    const d = await warmupDivergences({ student: trainer.model, teacher: trainer.teacher, data: MICRO_DATA, eosId: trainer.eosId, divergence: trainer.divergence, sampling: trainer.sampling }, cfg);
    const above = d.filter((x) => x >= tau0).length / d.length;
    console.log(`q0 ${q0}: τ0 = ${tau0.toFixed(4)}, ${(100 * above).toFixed(1)}% of ${d.length} warm-up positions reach it`);
    expect(Math.abs(above - (1 - q0))).toBeLessThanOrEqual(0.02);
    expect(trainer.schedule!.tauMin).toBeCloseTo(cfg.tauMinFrac * tau0, 10);
    trainer.dispose();
    tf.dispose([...Object.values(teacher.weights), ...Object.values(base.weights)]);
  }
});
