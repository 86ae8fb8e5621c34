/**
 * A preset's test set is the preset's: the same examples for every run whatever its data seed,
 * and for the teacher's own evaluation; and no test input is a training input where the preset
 * says so (a hold-out share of the inputs, separate texts, or a space too large to meet by chance).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { PRESETS, type Preset } from '../../src/config/presets';
import { evaluateModel } from '../../src/distill/evaluate';
import { nodeHost } from '../../scripts/lib/host';
import { Trainer } from '../../src/distill/trainer';
import { Rng } from '../../src/model/rng';
import { type Example, isHeldOut } from '../../src/data/tasks';
import { MICRO_DATA, microBase, microConfig, microTeacher } from '../distill/fixtures';

test('the test set does not move with seedData: two runs and the teacher score the same examples', async () => {
  const teacher = microTeacher();
  const base = microBase();
  const evalAt = async (seedData: number) => {
    const t = await Trainer.create(microConfig({ method: 'kd-lora', seedData }), MICRO_DATA, base, teacher);
    const ev = await t.evaluate(99);
    t.dispose();
    return ev;
  };
  const a = await evalAt(1);
  const b = await evalAt(2);
  // Before training the students are the same model (same seedInit): the same test set gives the same figures.
  expect(b.samples).toEqual(a.samples);
  expect(b.perplexity).toBe(a.perplexity);
  const ofTeacher = await evaluateModel(teacher, MICRO_DATA, 0, 99);
  expect(ofTeacher.samples.map((s) => [s.prompt, s.gold])).toEqual(a.samples.map((s) => [s.prompt, s.gold]));
  tf.dispose([...Object.values(teacher.weights), ...Object.values(base.weights)]);
});

/** How each preset keeps its test inputs out of training. */
const DISJOINT: Record<string, 'hold-out' | 'separate texts' | 'space' | 'browser only'> = {
  tiny: 'hold-out', // 8 letters: every length-2 input would be seen in training without it
  'cycle-ext': 'hold-out', // 16·15·14·13 · 4 inputs of 4 letters; its base trains on the same side of the same split
  'reverse-long': 'space', // 26^8 inputs of the shortest test length
  'moby-dick': 'separate texts', // the corpus's train and test files
  'bring-gpt2': 'separate texts',
  'your-text': 'browser only', // the last 10% of the person's text (test/data/user-text.test.ts)
};

test('every preset says how its test set stays out of training', () => {
  expect(Object.keys(DISJOINT).sort()).toEqual(Object.keys(PRESETS).sort());
});

const drawTraining = (data: { trainBatch(rng: Rng, B: number): Example[] }, batches: number, B: number) => {
  const rng = new Rng(7);
  const seen: Example[] = [];
  for (let i = 0; i < batches; i++) seen.push(...data.trainBatch(rng, B));
  return seen;
};

test.each(Object.keys(DISJOINT).filter((n) => DISJOINT[n] !== 'browser only'))('%s: no test example is a training example', async (name) => {
  const preset: Preset = PRESETS[name]!;
  const data = await nodeHost.data(preset);
  const tests = data.testSet().flatMap((g) => g.examples);
  const again = (await nodeHost.data(preset)).testSet().flatMap((g) => g.examples);
  expect(again, 'the test set is fixed by the preset').toEqual(tests);
  if (DISJOINT[name] === 'separate texts') {
    // No held-out window (prompt + continuation) occurs anywhere in the training text.
    const d = preset.data as Extract<Preset['data'], { kind: 'corpus' }>;
    const train = readFileSync(`public/data/${d.corpus}-train.txt`, 'utf8');
    for (const e of tests) expect(train.includes(e.prompt + e.response), e.prompt).toBe(false);
    return;
  }
  // Tasks: 2 000 training batches of 16 (on tiny, every training input of lengths 2 and 4 many times over) meet no test input.
  const testInputs = new Set(tests.map((e) => e.prompt));
  const drawn = drawTraining(data, 2000, 16);
  const seen = drawn.filter((e) => testInputs.has(e.prompt));
  expect(seen.map((e) => e.prompt)).toEqual([]);
  if (DISJOINT[name] === 'hold-out') {
    // Not by chance but by the split: every test input on the held-out side, every training input off it.
    const share = (preset.data as Extract<Preset['data'], { kind: 'task' }>).task.holdOut;
    expect(share, `${name} says it holds inputs out`).toBeGreaterThan(0);
    for (const e of tests) expect(isHeldOut(e.prompt, share!), e.prompt).toBe(true);
    expect(drawn.filter((e) => isHeldOut(e.prompt, share!)).map((e) => e.prompt)).toEqual([]);
  }
});
