/** The one training loop: when it evaluates, stopping, the final record, custom evaluations. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { StepDriver, evalDue } from '../../src/distill/driver';
import { Trainer } from '../../src/distill/trainer';
import { MICRO_DATA, microBase, microConfig, microTeacher } from './fixtures';

test('evaluations fall before the first step, every evalEvery steps, and after the last', () => {
  const at = (steps: number, every: number) => Array.from({ length: steps + 1 }, (_, d) => d).filter((d) => evalDue(d, steps, every));
  expect(at(7, 3)).toEqual([0, 3, 6, 7]);
  expect(at(6, 3)).toEqual([0, 3, 6]);
  expect(at(5, 0)).toEqual([0, 5]);
  expect(at(2, 50)).toEqual([0, 2]);
});

async function micro(over: Parameters<typeof microConfig>[0]) {
  const teacher = microTeacher();
  const base = microBase();
  const trainer = await Trainer.create(microConfig({ method: 'kd-lora', heatmapEvery: 0, rankEvery: 0, ...over }), MICRO_DATA, base, teacher);
  tf.dispose(Object.values(base.weights));
  return { trainer, done: () => (trainer.dispose(), tf.dispose(Object.values(teacher.weights))) };
}

test('a run: its steps, its evaluations at the cadence, one final record that reuses the last evaluation', async () => {
  const { trainer, done } = await micro({ steps: 7, evalEvery: 3 });
  let evaluations = 0;
  const driver = new StepDriver(trainer, { final: true, evaluate: (t) => (evaluations++, t.evaluate()) });
  const seen: string[] = [];
  await driver.run({
    onStep: (r, d) => seen.push(`step ${r.step} → ${d}`),
    onEval: (e) => seen.push(`eval at ${e.done}`),
    onFinal: (f) => seen.push(`final at ${f.done}`),
  });
  expect(seen).toEqual(['eval at 0', 'step 0 → 1', 'step 1 → 2', 'step 2 → 3', 'eval at 3', 'step 3 → 4', 'step 4 → 5', 'step 5 → 6', 'eval at 6', 'step 6 → 7', 'eval at 7', 'final at 7']);
  expect(evaluations, 'the final record reuses the evaluation after the last step').toBe(4);
  expect(driver.finished).toBe(true);
  await expect(driver.next()).rejects.toThrow(/the run is over: all 7 steps are done/);
  done();
});

test('stopping early evaluates (and measures) where the run stopped; next() steps one at a time', async () => {
  const { trainer, done } = await micro({ steps: 10, evalEvery: 0 });
  const driver = new StepDriver(trainer, { final: true });
  const evals: number[] = [];
  let final: number | null = null;
  await driver.run({ onEval: (e) => evals.push(e.done), onFinal: (f) => (final = f.done), shouldStop: (d) => d >= 2 });
  expect(evals).toEqual([0, 2]);
  expect(final).toBe(2);
  const r = await driver.next();
  expect([r.step.step, r.done, r.eval, r.final]).toEqual([2, 3, null, null]);
  done();
});

test('a driver that never evaluates, and one with its own evaluation (pretraining’s validation loss)', async () => {
  const { trainer, done } = await micro({ steps: 4, evalEvery: 2 });
  const silent = new StepDriver(trainer, { evaluate: null, steps: 1 });
  const calls: string[] = [];
  await silent.run({ onEval: () => calls.push('eval'), onStep: () => calls.push('step') });
  expect(calls).toEqual(['step']);
  const custom = new StepDriver(trainer, { evaluate: async (t) => `after ${t.done}` });
  const got: string[] = [];
  await custom.run({ onEval: (e) => got.push(e) }, { start: false });
  expect(got).toEqual(['after 2', 'after 4']);
  done();
});
