/** Whole runs: determinism, no tensor leak, NaN handling, config resolution and CLI flags. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { KNOBS, KnobError, parseKnob, validateConfig } from '../../src/config/knobs';
import { resolveConfig } from '../../src/config/resolve';
import { StepDriver } from '../../src/distill/driver';
import { runDistill } from '../../src/distill/run';
import { NonFiniteError } from '../../src/distill/train-step';
import { Trainer } from '../../src/distill/trainer';
import type { StepRecord } from '../../src/protocol/records';
import { PRESET_NAMES } from '../../src/config/presets';
import { MICRO, MICRO_DATA, microBase, microConfig, microHost, microTeacher, trainSteps } from './fixtures';

/** A step record without the fields that measure wall time or the machine. */
function logical(r: StepRecord) {
  const { msPerStep: _a, tokensPerSec: _b, memory: _c, ...rest } = r;
  return rest;
}

test('the same config and seeds give identical JSON steps (timings aside)', async () => {
  const cfg = microConfig({ method: 'sti-lora', steps: 6, evalEvery: 3, heatmapEvery: 2, rankEvery: 2 });
  const before = tf.memory().numTensors;
  const a = await runDistill(cfg, microHost, {}, MICRO);
  expect(tf.memory().numTensors, 'a whole run frees every tensor it made').toBe(before);
  const b = await runDistill(cfg, microHost, {}, MICRO);
  expect(JSON.stringify(b.steps.map(logical))).toBe(JSON.stringify(a.steps.map(logical)));
  expect(JSON.stringify(b.evals)).toBe(JSON.stringify(a.evals));
  expect(a.steps[0]!.heatmap!.values.length).toBe(2 * 5); // L_S × response length
  expect(Object.keys(a.steps[0]!.effectiveRank!)).toEqual(['h.0.attn.q', 'h.0.attn.v', 'h.1.attn.q', 'h.1.attn.v']);
  expect(a.steps.every((s) => s.layerDivergence.length === 2)).toBe(true);
  expect(a.evals.map((e) => e.done)).toEqual([0, 3, 6]);
  const c = await runDistill({ ...cfg, seedSample: cfg.seedSample + 1 }, microHost, {}, MICRO);
  expect(JSON.stringify(c.steps.map(logical))).not.toBe(JSON.stringify(a.steps.map(logical)));
});

test('no tensor leak over 50 sti-lora steps', async () => {
  const teacher = microTeacher();
  const base = microBase();
  const trainer = await Trainer.create(microConfig({ method: 'sti-lora', steps: 50, loraDropout: 0.1 }), MICRO_DATA, base, teacher);
  const counts: number[] = [];
  await new StepDriver(trainer, { evaluate: null }).run({ onStep: () => counts.push(tf.memory().numTensors) });
  await trainer.evaluate();
  counts.push(tf.memory().numTensors);
  console.log(`numTensors after steps 1, 25, 50 and an evaluation: ${counts[0]}, ${counts[24]}, ${counts[49]}, ${counts[50]}`);
  expect(new Set(counts).size).toBe(1);
  const before = tf.memory().numTensors;
  trainer.dispose();
  expect(tf.memory().numTensors).toBeLessThan(before);
  tf.dispose([...Object.values(teacher.weights), ...Object.values(base.weights)]);
});

test('a NaN stops the run with the step named and keeps the last good weights', async () => {
  const teacher = microTeacher();
  const base = microBase();
  const trainer = await Trainer.create(microConfig({ method: 'kd-lora' }), MICRO_DATA, base, teacher);
  await trainSteps(trainer, 2);
  const snap = async () => Promise.all(Object.values(trainer.model.lora!.tensors).map(async (t) => Array.from(await t.data())));
  const good = await snap();
  // Poison the teacher: its logits become NaN, and so does the KD loss.
  const old = teacher.weights['lnf.bias']!;
  teacher.weights['lnf.bias'] = tf.fill(old.shape, NaN);
  await expect(trainSteps(trainer, 1)).rejects.toThrow(NonFiniteError);
  await expect(trainSteps(trainer, 1)).rejects.toThrow(/at step 2; the run stopped and kept the weights of step 1/);
  expect(await snap()).toEqual(good);
  expect(trainer.done).toBe(2);
  trainer.dispose();
  tf.dispose([old, ...Object.values(teacher.weights), ...Object.values(base.weights)]);
});

test('a rejected step leaves the run exactly as it was: the next step is the one a run without it makes (data order, rollout draw, optimiser step)', async () => {
  const run = async (poison: boolean) => {
    const teacher = microTeacher();
    const base = microBase();
    const trainer = await Trainer.create(microConfig({ method: 'gkd' }), MICRO_DATA, base, teacher); // on-policy half the time: both streams move
    const recs = await trainSteps(trainer, 2);
    if (poison) {
      const old = teacher.weights['lnf.bias']!;
      teacher.weights['lnf.bias'] = tf.fill(old.shape, NaN);
      await expect(trainSteps(trainer, 1)).rejects.toThrow(NonFiniteError);
      await expect(trainSteps(trainer, 1)).rejects.toThrow(NonFiniteError);
      teacher.weights['lnf.bias']!.dispose();
      teacher.weights['lnf.bias'] = old;
    }
    recs.push(...(await trainSteps(trainer, 2)));
    trainer.dispose();
    tf.dispose([...Object.values(teacher.weights), ...Object.values(base.weights)]);
    return recs.map((r) => [r.loss, r.gradNorm, r.onPolicy ? 1 : 0]);
  };
  expect(await run(true)).toEqual(await run(false));
});

describe('config', () => {
  test('layers: base defaults < method < preset < overrides', () => {
    const gkd = resolveConfig({ method: 'gkd' });
    expect(gkd.trigger).toBe('none');
    expect(gkd.lambdaOnPolicy).toBe(0.5);
    expect(gkd.topK).toBe(3); // tiny preset
    expect(gkd.lr).toBe(1e-2); // tiny preset, LoRA methods
    expect(resolveConfig({ method: 'kd' }).temperature).toBe(2);
    expect(resolveConfig({ method: 'sti', steps: 7 }).steps).toBe(7);
  });
  test('bad values are refused with what is valid', () => {
    const k = (key: string) => KNOBS.find((x) => x.key === key)!;
    expect(() => parseKnob(k('steps'), '-3')).toThrow(/steps: "-3" is not valid; expected an integer in \[1, 100000\]/);
    expect(() => parseKnob(k('lr'), 'fast')).toThrow(/a number in/);
    expect(() => parseKnob(k('method'), 'magic')).toThrow(/one of ft, lora, kd, sti, kd-lora, sti-lora, gkd, skd/);
    expect(() => parseKnob(k('loraTargets'), 'q,zz')).toThrow(/comma-separated list of q, k, v, o, fc1, fc2/);
    expect(() => parseKnob(k('preset'), 'huge', PRESET_NAMES)).toThrow(/one of tiny/);
    expect(parseKnob(k('loraTargets'), 'q,fc2')).toEqual(['q', 'fc2']);
    expect(() => validateConfig({ ...resolveConfig({}), tauMode: 'raw', tau0: 0.1, tauMin: 1 }, PRESET_NAMES)).toThrow(KnobError);
  });
});
