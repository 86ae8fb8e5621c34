/**
 * The fused rollout decision on WebGPU against the reference graph: the divergence of every
 * kinds at temperature T, both Gumbel-max samples, the three triggers, and whole STI rollouts with
 * τ(s, t) of every decay × shape.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RolloutOptions, stiRollout } from '../../src/distill/rollout';
import { TAU_DECAYS, TAU_SHAPES, tauAlong } from '../../src/config/threshold';
import type { Transformer } from '../../src/model/transformer';
import { modelConfig } from '../../src/model/config';
import { FUSED, divergenceProgram, fusedHere, fusedRolloutChoice, withKernels } from '../../src/model/fused';
import { type DivergenceOptions, divergence } from '../../src/model/losses';
import { Rng } from '../../src/model/rng';
import { sampleTokens } from '../../src/model/sampling';
import { randomModel } from '../helpers';
import { DIVERGENCE_CASES as KINDS, onWebGPU, relErr } from './webgpu';

onWebGPU();


const rand = (rng: Rng, B: number, V: number, scale: number) => tf.tensor2d(Array.from({ length: B * V }, () => scale * rng.normal()), [B, V]);
const uniform = (rng: Rng, B: number, V: number) => tf.tensor2d(Array.from({ length: B * V }, () => rng.uniformOpen()), [B, V]);

test.each([
  [1, 5],
  [3, 37],
  [4, 300],
])('the fused decision = the reference: B = %i, V = %i, every divergence', async (B, V) => {
  const rng = new Rng(B * 1000 + V);
  const lt = rand(rng, B, V, 3);
  const ls = rand(rng, B, V, 3);
  const u = uniform(rng, B, V);
  expect(fusedHere(FUSED.rolloutChoice)).toBe(true);
  const sampling = { greedy: false, temperature: 0.8, topK: 0, topP: 1 };
  for (const dv of KINDS) {
    const refs = withKernels('reference', () => [tf.relu(divergence(lt, ls, dv)), sampleTokens(ls, sampling, u), sampleTokens(lt, sampling, u)]);
    const [dRef, propRef, teachRef] = (await Promise.all(refs.map((t) => t.data()))) as [Float32Array, Int32Array, Int32Array];
    tf.dispose(refs);
    // threshold τ between the rows' divergences, so that some fire and some do not
    const tau = [...dRef].sort((a, b) => a - b)[Math.floor(B / 2)]! - 1e-4;
    const out = await fusedRolloutChoice(lt, ls, u, {
      ...divergenceProgram(dv), // the engine's mapping (gjsd at β = 1 is rkl)
      temperature: dv.temperature!,
      sampleTemperature: sampling.temperature,
      trigger: 0,
      tau,
      topK: 0,
    }).data();
    const col = (c: number) => Array.from({ length: B }, (_, b) => out[b * 4 + c]!);
    expect(relErr(col(3), dRef), `${dv.kind} d`).toBeLessThan(1e-4);
    expect(col(1), `${dv.kind} student sample`).toEqual(Array.from(propRef));
    const fire = Array.from(dRef, (d) => (d >= tau ? 1 : 0));
    expect(col(2), `${dv.kind} fire`).toEqual(fire);
    expect(col(0), `${dv.kind} token`).toEqual(fire.map((f, b) => (f ? teachRef[b]! : propRef[b]!)));
  }
  tf.dispose([lt, ls, u]);
});

const MODEL = modelConfig({ vocabSize: 23, nLayer: 2, nHead: 2, dModel: 16, dFF: 32, nPositions: 24, contextLength: 24 });

/** A whole rollout's tokens, proposals, choices and divergences, fused or reference. */
async function rolloutWith(set: 'fused' | 'reference', student: Transformer, teacher: Transformer, prompt: tf.Tensor2D, o: RolloutOptions) {
  const r = withKernels(set, () => stiRollout(student, teacher, prompt, o));
  const out = { tokens: Array.from(await r.tokens.data()), student: Array.from(await r.studentTokens.data()), fired: Array.from(await r.intervened.data()), d: await r.divergence.data() };
  tf.dispose([r.tokens, r.studentTokens, r.intervened, r.divergence]);
  return out;
}

const ROLLOUT = { length: 7, topK: 3, sampling: { greedy: false, temperature: 1, topK: 0, topP: 1 }, seed: 7 };

/** The fused rollout equals the reference one, frees what it made, and (for a trigger that can fire) both outcomes occur. */
async function expectSameRollout(o: RolloutOptions, student: Transformer, teacher: Transformer, prompt: tf.Tensor2D) {
  const ref = await rolloutWith('reference', student, teacher, prompt, o);
  const before = tf.memory().numTensors;
  const fused = await rolloutWith('fused', student, teacher, prompt, o);
  expect(tf.memory().numTensors, 'the fused rollout frees what it made').toBe(before);
  expect(fused.tokens).toEqual(ref.tokens);
  expect(fused.student).toEqual(ref.student);
  expect(fused.fired).toEqual(ref.fired);
  expect(relErr(fused.d, ref.d)).toBeLessThan(1e-4);
  if (o.trigger !== 'none') expect(ref.fired.some((f) => f === 1) && ref.fired.some((f) => f === 0), 'both outcomes occur').toBe(true);
}

function models() {
  const student = randomModel(MODEL, 1);
  const teacher = randomModel({ ...MODEL, nLayer: 3 }, 2);
  const prompt = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 4], 'int32');
  return { student, teacher, prompt, dispose: () => tf.dispose([prompt, ...Object.values(student.weights), ...Object.values(teacher.weights)]) };
}

describe('whole STI rollouts with the jsd trigger and τ(s, t)', () => {
  const divergence: DivergenceOptions = { kind: 'jsd', temperature: 1.5 };
  const m = models();
  let median = 0;
  beforeAll(async () => {
    const probe = await rolloutWith('fused', m.student, m.teacher, m.prompt, { ...ROLLOUT, trigger: 'none', tau: [], divergence });
    median = [...probe.d].sort((a, b) => a - b)[Math.floor(probe.d.length / 2)]!;
  });
  afterAll(() => m.dispose());
  test.each(TAU_DECAYS.flatMap((d) => TAU_SHAPES.map((sh) => [d, sh] as const)))('%s × %s: the same fused and reference', async (decay, shape) => {
    // τ0 above the median divergence: where τ falls along the response, late positions fire more than early ones.
    const tau = tauAlong({ decay, shape, lambda: 0.15, tau0: 1.3 * median, tauMin: 0.5 * median, k: 3, steps: 10 }, 4, ROLLOUT.length);
    await expectSameRollout({ ...ROLLOUT, trigger: 'threshold', tau, divergence }, m.student, m.teacher, m.prompt);
  });
});

test.each([
  ['topk', 'fkl'],
  ['none', 'tvd'],
] as const)('a whole STI rollout is the same fused and reference: trigger %s, %s', async (trigger, kind) => {
  const m = models();
  await expectSameRollout({ ...ROLLOUT, trigger, tau: [], divergence: { kind, temperature: 1.5, beta: 0.5 } }, m.student, m.teacher, m.prompt);
  m.dispose();
});

test('the fused top-K trigger: the K-th rank is in, ties at the K-th count as in, the next rank fires; argmax ties go to the first index', async () => {
  const V = 10;
  const K = 2;
  const big = (i: number) => Array.from({ length: V }, (_, j) => (j === i ? 1000 : 0)); // the student surely samples i
  const ranked = (valueOf3: number) => Array.from({ length: V }, (_, j) => (j === 3 ? valueOf3 : j === 7 ? 9 : j === 5 ? 8 : j === 1 ? 7 : 0)); // teacher: 7, 5, 1, … and token 3
  const lt = tf.tensor2d([ranked(8.5), ranked(7.5), ranked(8), new Array(V).fill(0)], [4, V]); // token 3 at rank 2, rank 3, tied with rank 2; all equal
  const ls = tf.tensor2d([big(3), big(3), big(3), new Array(V).fill(0)], [4, V]);
  const u = tf.fill([4, V], 0.5) as tf.Tensor2D;
  const out = await fusedRolloutChoice(lt, ls, u, { kind: 0, temperature: 1, w: 0.5, sampleTemperature: 1, trigger: 1, tau: 0, topK: K }).data();
  const col = (c: number) => [0, 1, 2, 3].map((b) => out[b * 4 + c]!);
  expect(col(1), 'student tokens').toEqual([3, 3, 3, 0]);
  expect(col(2), 'fired').toEqual([0, 1, 0, 0]);
  expect(col(0), 'tokens').toEqual([3, 7, 3, 0]); // where it fires, the teacher's own sample (its argmax: 7)
  tf.dispose([lt, ls, u]);
});
