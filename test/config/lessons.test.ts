/**
 * The lessons are data: each one's experiment is a valid config, its question has an answer among
 * its choices, its text stays short, and the figures its answers quote are the engine's own (the
 * parameter counts of the run it sets, τ at the position it asks about).
 */
import { expect, test } from 'vitest';
import { nodeHost } from '../../scripts/lib/host';
import { LESSONS, LESSON_COUNT, LESSON_PANELS, lessonConfig } from '../../src/config/lessons';
import { validateConfig } from '../../src/config/knobs';
import { PRESET_NAMES } from '../../src/config/presets';
import { disposePrepared, prepareTrainer, runInfo } from '../../src/distill/run';
import { makeSchedule, tauAt } from '../../src/distill/schedule';

const words = (xs: string[]) => xs.join(' ').split(/\s+/).length;
const thousands = (n: number) => n.toLocaleString('en-US');

test('every lesson sets a valid experiment, names known panels and has one answer', () => {
  expect(LESSON_COUNT).toBe(8);
  for (const [i, l] of LESSONS.entries()) {
    const n = i + 1;
    expect(() => validateConfig(lessonConfig(n), PRESET_NAMES), `lesson ${n}`).not.toThrow();
    if (l.compare) expect(() => validateConfig(lessonConfig(n, true), PRESET_NAMES), `lesson ${n} compare`).not.toThrow();
    expect(l.panels.length, `lesson ${n} panels`).toBeGreaterThan(0);
    for (const p of l.panels) expect(LESSON_PANELS).toContain(p);
    expect(l.predict.answer).toBeGreaterThanOrEqual(0);
    expect(l.predict.answer).toBeLessThan(l.predict.choices.length);
    expect(words(l.text), `lesson ${n} words`).toBeLessThanOrEqual(150);
    expect(l.measured.wasm, `lesson ${n} measured on wasm`).toBeGreaterThan(0);
    expect(l.measured.swiftShader, `lesson ${n} measured on SwiftShader`).toBeGreaterThan(0);
  }
});

test("lesson 5's comparison differs from its run only in the threshold's shape", () => {
  const run = lessonConfig(5);
  const compare = lessonConfig(5, true);
  expect(run.tauShape).toBe('constant');
  expect(compare.tauShape).toBe('exp');
  expect({ ...compare, tauShape: run.tauShape }).toEqual(run);
});

test("lesson 4's τ at position 5 is the answer it reveals", () => {
  const cfg = lessonConfig(4);
  const l = LESSONS[3]!;
  expect(l.predict.question).toContain(`τ0 is ${cfg.tau0} and λ is ${cfg.tauLambda}`);
  const tau5 = tauAt(makeSchedule(cfg), 0, 5);
  expect(tau5).toBeCloseTo(0.1213, 4);
  expect(l.predict.choices[l.predict.answer]).toBe(`about ${tau5.toFixed(2)}`);
});

test("the parameter counts lessons 1 and 6 quote are the engine's for their runs", async () => {
  const lora = await prepareTrainer(lessonConfig(6), nodeHost);
  const info6 = runInfo(lora);
  disposePrepared(lora);
  const why6 = LESSONS[5]!.predict.why;
  expect(why6).toContain(`${thousands(info6.trainableParams)} of the student's ${thousands(info6.totalParams)} parameters`);
  expect(why6).toContain(`(${Math.round((100 * info6.trainableParams) / info6.totalParams)}%)`);

  const kd = await prepareTrainer(lessonConfig(1), nodeHost);
  const info1 = runInfo(kd);
  disposePrepared(kd);
  const share = info1.totalParams / info1.teacherParams;
  expect(LESSONS[0]!.predict.choices[LESSONS[0]!.predict.answer]).toBe('about half');
  expect(share).toBeGreaterThan(0.4);
  expect(share).toBeLessThan(0.6);
});
