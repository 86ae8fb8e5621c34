/** Recipes in phases through the one phase trainer: each phase continues from the last one's weights, no tensor leaks. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { type Recipe, recipePhases, recipeSteps } from '../../src/config/presets';
import { phaseConfig, phaseData, teacherKey, trainRecipe, trainTeacher } from '../../src/distill/recipes';
import { disposeModel } from '../../src/distill/models';
import { Trainer } from '../../src/distill/trainer';
import type { Transformer } from '../../src/model/transformer';
import { corpusSource } from '../../src/data/source';
import { Rng } from '../../src/model/rng';
import { MICRO, MICRO_DATA, microBase, trainSteps } from './fixtures';

const PHASE2: Recipe = { steps: 2, lr: 3e-4, batchSize: 4, seedData: 12, trainLengths: [3, 3] };
const TWO: Recipe = { steps: 3, lr: 3e-3, batchSize: 4, seedData: 11, then: PHASE2 };

const flat = async (m: Transformer) => Promise.all(Object.keys(m.weights).sort().map(async (k) => Array.from(await m.weights[k]!.data())));

test('a recipe in phases trains each phase from the previous one\'s weights', async () => {
  expect(recipePhases(TWO)).toEqual([TWO, PHASE2]);
  expect(recipeSteps(TWO)).toBe(5);
  const base = microBase();
  const before = tf.memory().numTensors;
  const steps: number[] = [];
  const chained = await trainTeacher({ ...MICRO, teacherRecipe: TWO }, base, MICRO_DATA, (_, done) => steps.push(done));
  expect(steps, 'steps are counted over both phases').toEqual([1, 2, 3, 4, 5]);
  expect(tf.memory().numTensors - before, 'only the returned model\'s weights stay').toBe(Object.keys(chained.weights).length);

  // The same by hand: phase 1 from the base, then phase 2 (its own schedule and data seed) from that.
  const t1 = await Trainer.create(phaseConfig(TWO, 'tiny'), MICRO_DATA, base, null);
  await trainSteps(t1, 3);
  const after1 = t1.release();
  const t2 = await Trainer.create(phaseConfig(PHASE2, 'tiny'), phaseData(MICRO_DATA, PHASE2), after1, null);
  await trainSteps(t2, 2);
  const byHand = t2.release();
  expect(await flat(chained)).toEqual(await flat(byHand));
  expect(await flat(chained), 'phase 2 moved the weights').not.toEqual(await flat(after1));

  const key = teacherKey({ ...MICRO, teacherRecipe: TWO });
  expect(key).toContain('-then-s2-lr0.0003-b4-sd12-len3-3');
  expect(key).not.toBe(teacherKey({ ...MICRO, teacherRecipe: { ...TWO, then: undefined } }));
  for (const m of [base, chained, after1, byHand]) disposeModel(m);
});

test('a phase may train on other string lengths; its test set stays the preset\'s', () => {
  const data = phaseData(MICRO_DATA, PHASE2); // MICRO trains on length 4 only
  const rng = new Rng(3);
  for (let i = 0; i < 5; i++) expect(data.trainBatch(rng, 2)[0]!.prompt.length).toBe(3 + 1); // 3 letters + the separator
  expect(MICRO_DATA.trainBatch(new Rng(3), 2)[0]!.prompt.length).toBe(4 + 1);
  expect(data.testSet()).toEqual(MICRO_DATA.testSet());
  expect(phaseData(MICRO_DATA, { ...PHASE2, trainLengths: undefined })).toBe(MICRO_DATA);
  expect(() => phaseData(MICRO_DATA, { ...PHASE2, trainLengths: [5, 2] })).toThrow(/must lie in 1…6/);
  const text = corpusSource({ train: 'abc abc abc abc', heldOut: 'abc abc', alphabet: 'abc ', mode: 'continue', window: 4, promptLength: 2, testExamples: 1, testSeed: 1 });
  expect(() => phaseData(text, PHASE2)).toThrow(/needs a task preset/);
});

test('one phase alone, evaluated before and after, from the phase before it; stopping early and bad ranges', async () => {
  const base = microBase();
  const before = tf.memory().numTensors;
  const recipe = { preset: 'tiny', data: MICRO_DATA, start: base, recipe: TWO };
  const ends: { phase: number; start: number | undefined; end: number | undefined }[] = [];
  const phase2 = await trainRecipe({ ...recipe, from: 2, evaluate: true }, { onPhaseEnd: (k, _, e) => void ends.push({ phase: k, start: e.start?.done, end: e.end?.done }) });
  expect(ends, 'phase 2 only: evaluated before its first step and after its last').toEqual([{ phase: 2, start: 0, end: 2 }]);
  // Phase 2 from the base by hand: the same weights.
  const t = await Trainer.create(phaseConfig(PHASE2, 'tiny'), phaseData(MICRO_DATA, PHASE2), base, null);
  await trainSteps(t, 2);
  const byHand = t.release();
  expect(await flat(phase2)).toEqual(await flat(byHand));
  disposeModel(phase2);
  disposeModel(byHand);
  // Stopping: the first phase stops after 2 of its 3 steps, and the recipe stops with it.
  const seen: number[] = [];
  const stopped = await trainRecipe(recipe, { onStep: (_, done) => seen.push(done), shouldStop: (done) => done >= 2 });
  expect(seen).toEqual([1, 2]);
  disposeModel(stopped);
  expect(tf.memory().numTensors - before, 'nothing left but the base').toBe(0);
  await expect(trainRecipe({ ...recipe, from: 3 })).rejects.toThrow(/phases 3…2: this recipe has phases 1…2/);
  disposeModel(base);
});
