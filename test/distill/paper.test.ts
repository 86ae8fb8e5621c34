/** The paper table's run sequence (shared by the CLI and the app): equal budgets, order, stopping. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { METHODS } from '../../src/config/knobs';
import { paperConfig } from '../../src/config/paper-plan';
import { PaperCancelled, runPaperTable } from '../../src/distill/paper';
import { microHost } from './fixtures';

test('every method gets the same steps and seeds; seed k moves data, init and sampling together', () => {
  const plan = { preset: 'tiny', steps: 7, seeds: 2 };
  for (const m of METHODS) {
    const [a, b] = [paperConfig(plan, m, 0), paperConfig(plan, m, 1)];
    expect([a.steps, a.seedData, a.seedInit, a.seedSample]).toEqual([7, 1, 101, 1001]);
    expect([b.steps, b.seedData, b.seedInit, b.seedSample]).toEqual([7, 2, 102, 1002]);
    expect(a.method).toBe(m);
  }
  expect(paperConfig({ preset: 'tiny', seeds: 1 }, 'ft', 0).steps, "absent steps: the preset's default").toBe(200);
});

test('the table runs the eight methods in order over the seeds and frees every tensor', async () => {
  const before = tf.memory().numTensors;
  const seen: string[] = [];
  const all = await runPaperTable({ preset: 'tiny', steps: 2, seeds: 1 }, microHost, { onRun: (m, k, f) => seen.push(`${m}/${k}/${f.done}`) });
  expect(all.map((r) => r.method)).toEqual([...METHODS]);
  expect(all.every((r) => r.runs.length === 1 && r.runs[0]!.done === 2)).toBe(true);
  expect(seen).toEqual(METHODS.map((m) => `${m}/0/2`));
  expect(tf.memory().numTensors).toBe(before);
});

test('stopping ends the table after the step under way, keeps the finished runs reported and leaks nothing', async () => {
  const before = tf.memory().numTensors;
  let steps = 0;
  const finished: string[] = [];
  const run = runPaperTable({ preset: 'tiny', steps: 2, seeds: 1 }, microHost, {
    onStep: () => steps++,
    onRun: (m) => finished.push(m),
    cancelled: () => steps >= 3,
  });
  await expect(run).rejects.toBeInstanceOf(PaperCancelled);
  expect(finished).toEqual(['ft']);
  expect(steps).toBe(3);
  expect(tf.memory().numTensors).toBe(before);
});

test('a stopped table resumed from its finished runs runs only what is missing, and makes the table one process makes', async () => {
  const plan = { preset: 'tiny', steps: 2, seeds: 2, methods: ['ft', 'sti-lora'] as ('ft' | 'sti-lora')[] };
  const whole = await runPaperTable(plan, microHost);
  // Stopped after ft's two runs and sti-lora's first: the resumed table runs sti-lora seed 2 only.
  const ran: string[] = [];
  const resumed = await runPaperTable(plan, microHost, { onRun: (m, k) => ran.push(`${m}/${k}`) }, { ft: whole[0]!.runs, 'sti-lora': whole[1]!.runs.slice(0, 1) });
  expect(ran).toEqual(['sti-lora/1']);
  expect(resumed.map((r) => r.runs.map((f) => [f.rougeL, f.perplexity, f.teacherTokenShare ?? null]))).toEqual(whole.map((r) => r.runs.map((f) => [f.rougeL, f.perplexity, f.teacherTokenShare ?? null])));
});
