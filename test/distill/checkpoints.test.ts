/** Teacher recipes in phases: each phase continues from the last one's weights, no tensor leaks. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { type Recipe, recipePhases, recipeSteps } from '../../src/data/presets';
import { phaseConfig, phaseData, teacherKey, trainTeacher } from '../../src/distill/checkpoints';
import { disposeModel } from '../../src/distill/models';
import { Trainer } from '../../src/distill/trainer';
import type { Transformer } from '../../src/model/transformer';
import { corpusSource } from '../../src/data/source';
import { Rng } from '../../src/model/rng';
import { MICRO, MICRO_DATA, microBase } from './fixtures';

const PHASE2: Recipe = { steps: 2, lr: 3e-4, batchSize: 4, seedData: 12, trainLengths: [3, 3] };
const TWO: Recipe = { steps: 3, lr: 3e-3, batchSize: 4, seedData: 11, then: PHASE2 };

const flat = async (m: Transformer) => Promise.all(Object.keys(m.weights).sort().map(async (k) => Array.from(await m.weights[k]!.data())));

test('a recipe in phases trains each phase from the previous one\'s weights', async () => {
  expect(recipePhases(TWO)).toEqual([TWO, PHASE2]);
  expect(recipeSteps(TWO)).toBe(5);
  const base = microBase();
  const before = tf.memory().numTensors;
  const steps: number[] = [];
  const chained = await trainTeacher({ ...MICRO, teacherRecipe: TWO }, base, MICRO_DATA, (r) => steps.push(r.step));
  expect(steps, 'steps are counted over both phases').toEqual([0, 1, 2, 3, 4]);
  expect(tf.memory().numTensors - before, 'only the returned model\'s weights stay').toBe(Object.keys(chained.weights).length);

  // The same by hand: phase 1 from the base, then phase 2 (its own schedule and data seed) from that.
  const t1 = await Trainer.create(phaseConfig(TWO), MICRO_DATA, base, null);
  for (let s = 0; s < 3; s++) await t1.trainStep();
  const after1 = t1.release();
  const t2 = await Trainer.create(phaseConfig(PHASE2), phaseData(MICRO_DATA, PHASE2), after1, null);
  for (let s = 0; s < 2; s++) await t2.trainStep();
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
  expect(data.testSet(7)).toEqual(MICRO_DATA.testSet(7));
  expect(phaseData(MICRO_DATA, { ...PHASE2, trainLengths: undefined })).toBe(MICRO_DATA);
  expect(() => phaseData(MICRO_DATA, { ...PHASE2, trainLengths: [5, 2] })).toThrow(/must lie in 1…6/);
  const text = corpusSource({ train: 'abc abc abc abc', heldOut: 'abc abc', alphabet: 'abc ', mode: 'continue', window: 4, promptLength: 2, testExamples: 1 });
  expect(() => phaseData(text, PHASE2)).toThrow(/needs a task preset/);
});
