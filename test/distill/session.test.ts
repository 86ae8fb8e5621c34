/** A run driven step by step, as the worker drives it: prepare, step, play, pause, to the end. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { RunSession } from '../../src/engine/session';
import type { SessionEvent } from '../../src/protocol/messages';
import { packSteps, unpackSteps } from '../../src/protocol/step-batch';
import { runDistill } from '../../src/distill/run';
import { MICRO, microConfig, microHost } from './fixtures';

test('step records survive the typed-array packing exactly (nulls, booleans, optional memory fields, extras)', async () => {
  for (const method of ['sti-lora', 'ft'] as const) {
    const r = await runDistill(microConfig({ method, steps: 4, heatmapEvery: 2, rankEvery: 3 }), microHost, {}, MICRO);
    const recs = r.steps.map((x, i) => (i === 1 ? { ...x, memory: { ...x.memory, gpuBytesInUse: 123, gpuBytesPooled: 456 } } : x));
    const batch = packSteps(recs);
    expect(batch.scalars).toBeInstanceOf(Float64Array);
    // Rare extras on some records; on-policy steps all carry their per-position series.
    if (method === 'ft') expect(batch.extras.length).toBeLessThan(recs.length);
    else expect(batch.extras.map((x) => x.interventionByPosition?.length)).toEqual(recs.map((x) => x.tauByPosition!.length));
    expect(unpackSteps(batch)).toEqual(recs);
  }
});

test('prepare → step → play → pause → play to the end, with batched records, evaluations and a final record', async () => {
  const before = tf.memory().numTensors;
  const events: SessionEvent[] = [];
  const cfg = microConfig({ method: 'sti-lora', steps: 8, evalEvery: 4 });
  const s = await RunSession.prepare(cfg, microHost, (e) => events.push(e));
  const kinds = () => events.map((e) => (e.kind === 'status' ? `status:${e.status}` : e.kind));
  expect(kinds()).toEqual(['status:preparing', 'prepared', 'eval', 'status:ready']);
  const info = (events[1] as Extract<SessionEvent, { kind: 'prepared' }>).info;
  expect(info.layerMap).toEqual([2, 4]);
  expect(info.loraModules).toEqual(['h.0.attn.q', 'h.0.attn.v', 'h.1.attn.q', 'h.1.attn.v']);
  expect(info.tau0).toBeGreaterThan(0);
  await s.stepOnce();
  expect(s.done).toBe(1);
  expect(events.at(-1)).toEqual({ kind: 'status', status: 'paused', done: 1 });
  s.play();
  await new Promise((r) => setTimeout(r, 30));
  await s.pause();
  const pausedAt = s.done;
  expect(pausedAt).toBeGreaterThan(1);
  expect(pausedAt).toBeLessThan(8);
  s.play();
  await s.pause().then(() => new Promise((r) => setTimeout(r, 0)));
  while (s.done < 8) {
    s.play();
    await s.pause();
  }
  const records = events.flatMap((e) => (e.kind === 'steps' ? unpackSteps(e.batch) : []));
  expect(records.map((r) => r.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(events.filter((e) => e.kind === 'eval').map((e) => (e as Extract<SessionEvent, { kind: 'eval' }>).record.done)).toEqual([0, 4, 8]);
  expect(events.some((e) => e.kind === 'final')).toBe(true);
  expect(events.at(-1)).toMatchObject({ kind: 'status', status: 'done', done: 8 });
  await s.stepOnce();
  expect(s.done).toBe(8);
  await s.dispose();
  expect(tf.memory().numTensors).toBe(before);
});

test('a failing step reports the failure and the session survives', async () => {
  const events: SessionEvent[] = [];
  const s = await RunSession.prepare(microConfig({ method: 'kd-lora', steps: 5 }), microHost, (e) => events.push(e));
  const teacher = s.trainer.teacher!;
  const old = teacher.weights['lnf.bias']!;
  teacher.weights['lnf.bias'] = tf.fill(old.shape, NaN);
  await s.stepOnce();
  expect(events.at(-1)).toMatchObject({ kind: 'status', status: 'failed', done: 0 });
  expect((events.at(-1) as { message: string }).message).toMatch(/not finite at step 0/);
  old.dispose();
  await s.dispose();
});

test('downloaded weights continue a run: same evaluation, same step; another config or a wrong file is refused', async () => {
  const cfg = microConfig({ method: 'kd-lora', steps: 6, heatmapEvery: 0, rankEvery: 0 });
  const events: SessionEvent[] = [];
  const a = await RunSession.prepare(cfg, microHost, (e) => events.push(e));
  for (let i = 0; i < 3; i++) await a.stepOnce();
  const { model } = await a.exportWeights();
  const evalA = await a.trainer.evaluate();
  await a.dispose();

  const before = tf.memory().numTensors;
  const got: SessionEvent[] = [];
  const b = await RunSession.prepare(cfg, microHost, (e) => got.push(e));
  expect(await b.loadWeights(model, 'run.safetensors')).toBe(3);
  const evals = got.filter((e) => e.kind === 'eval').map((e) => (e as { record: unknown }).record);
  expect(evals.at(-1)).toEqual(evalA);
  expect(got.at(-1)).toMatchObject({ kind: 'status', status: 'paused', done: 3 });
  await b.stepOnce();
  expect(b.done).toBe(4);
  await b.dispose();

  const c = await RunSession.prepare({ ...cfg, lr: cfg.lr * 2 }, microHost, () => {});
  await expect(c.loadWeights(model, 'run.safetensors')).rejects.toThrow(/saved by a run with other settings \(lr\)/);
  await expect(c.loadWeights(new Uint8Array([1, 2, 3]), 'notes.safetensors')).rejects.toThrow(/notes.safetensors is not a model checkpoint/);
  expect(c.done).toBe(0);
  await c.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
