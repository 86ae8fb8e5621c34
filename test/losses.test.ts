/** Divergences and cross-entropy against closed-form values on hand-made distributions. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { DIVERGENCES, type DivergenceOptions, crossEntropy, distillLoss, divergence, maskedMean, tokenNll } from '../src/model/losses';

const P = [0.7, 0.2, 0.1]; // teacher
const Q = [0.2, 0.5, 0.3]; // student
const KL = (a: number[], b: number[]) => a.reduce((s, ai, i) => s + ai * Math.log(ai / b[i]!), 0);
const mix = (w: number, a: number[], b: number[]) => a.map((ai, i) => w * ai + (1 - w) * b[i]!);
const temper = (p: number[], T: number) => {
  const z = p.map((x) => x ** (1 / T));
  const s = z.reduce((a, b) => a + b, 0);
  return z.map((x) => x / s);
};
const logits = (p: number[]) => tf.tensor2d([p.map(Math.log)]); // [1, 3]

async function D(opts: DivergenceOptions, p = P, q = Q): Promise<number> {
  const d = divergence(logits(p), logits(q), opts);
  expect(d.shape).toEqual([1]);
  return (await d.data())[0]!;
}

describe('divergences', () => {
  test('forward KL', async () => expect(await D({ kind: 'fkl' })).toBeCloseTo(KL(P, Q), 6));
  test('reverse KL', async () => expect(await D({ kind: 'rkl' })).toBeCloseTo(KL(Q, P), 6));
  test('forward and reverse KL differ on asymmetric distributions', () => expect(Math.abs(KL(P, Q) - KL(Q, P))).toBeGreaterThan(0.04));
  test('generalised JSD, β = 0.5 and 0.2', async () => {
    for (const beta of [0.5, 0.2]) {
      const M = mix(beta, P, Q);
      expect(await D({ kind: 'gjsd', beta })).toBeCloseTo(beta * KL(P, M) + (1 - beta) * KL(Q, M), 6);
    }
  });
  test('generalised JSD endpoints: β = 0 is forward KL, β = 1 is reverse KL', async () => {
    expect(await D({ kind: 'gjsd', beta: 0 })).toBeCloseTo(KL(P, Q), 6);
    expect(await D({ kind: 'gjsd', beta: 1 })).toBeCloseTo(KL(Q, P), 6);
  });
  test('Jensen–Shannon: ½·KL(p_T ‖ M) + ½·KL(p_S ‖ M), M the average; symmetric, whatever β says, and at most ln 2', async () => {
    const M = mix(0.5, P, Q);
    const jsd = 0.5 * KL(P, M) + 0.5 * KL(Q, M);
    expect(await D({ kind: 'jsd', beta: 0.9 })).toBeCloseTo(jsd, 6);
    expect(await D({ kind: 'jsd' }, Q, P)).toBeCloseTo(jsd, 6);
    expect(await D({ kind: 'jsd' }, [1 - 1e-6, 1e-6 / 2, 1e-6 / 2], [1e-6 / 2, 1e-6 / 2, 1 - 1e-6])).toBeCloseTo(Math.LN2, 4);
  });
  test('skew KL, α = 0.1', async () => expect(await D({ kind: 'skl', alpha: 0.1 })).toBeCloseTo(KL(P, mix(0.1, P, Q)), 6));
  test('total variation', async () => expect(await D({ kind: 'tvd' })).toBeCloseTo(0.5 * (0.5 + 0.3 + 0.2), 6));
  test('zero for identical distributions', async () => {
    for (const kind of DIVERGENCES) expect(await D({ kind }, P, P)).toBeCloseTo(0, 6);
  });
  test('temperature softens both sides before the divergence', async () => {
    expect(await D({ kind: 'fkl', temperature: 2 })).toBeCloseTo(KL(temper(P, 2), temper(Q, 2)), 6);
    expect(await D({ kind: 'rkl', temperature: 0.5 })).toBeCloseTo(KL(temper(Q, 0.5), temper(P, 0.5)), 5);
  });
  test('the loss scales by T² when T ≠ 1', async () => {
    const l2 = (await distillLoss(logits(P), logits(Q), { kind: 'fkl', temperature: 2 }).data())[0]!;
    expect(l2).toBeCloseTo(4 * KL(temper(P, 2), temper(Q, 2)), 5);
    const l1 = (await distillLoss(logits(P), logits(Q), { kind: 'fkl' }).data())[0]!;
    expect(l1).toBeCloseTo(KL(P, Q), 6);
  });
  test('per position over a batch, with a masked mean', async () => {
    const t = tf.tensor3d([[P.map(Math.log), Q.map(Math.log)]]); // [1, 2, 3]
    const s = tf.tensor3d([[Q.map(Math.log), Q.map(Math.log)]]);
    const d = divergence(t, s, { kind: 'fkl' });
    expect(d.shape).toEqual([1, 2]);
    const v = await d.data();
    expect(v[0]).toBeCloseTo(KL(P, Q), 6);
    expect(v[1]).toBeCloseTo(0, 6);
    expect((await maskedMean(d, tf.tensor2d([[1, 0]])).data())[0]).toBeCloseTo(KL(P, Q), 6);
    expect((await maskedMean(d, tf.tensor2d([[1, 1]])).data())[0]).toBeCloseTo(KL(P, Q) / 2, 6);
    expect((await maskedMean(d, tf.tensor2d([[0, 0]])).data())[0]).toBe(0);
  });
  test('bad options are refused', () => {
    expect(() => divergence(logits(P), logits(Q), { kind: 'gjsd', beta: 1.5 })).toThrow(/beta/);
    expect(() => divergence(logits(P), logits(Q), { kind: 'skl', alpha: 1 })).toThrow(/alpha/);
    expect(() => divergence(logits(P), logits(Q), { kind: 'fkl', temperature: 0 })).toThrow(/temperature/);
    expect(() => divergence(logits(P), logits(Q), { kind: 'nope' as 'fkl' })).toThrow(/unknown kind/);
  });
});

describe('cross-entropy', () => {
  test('−log p(target), per position and masked', async () => {
    const l = tf.tensor3d([[P.map(Math.log), Q.map(Math.log)]]); // [1, 2, 3]
    const y = tf.tensor2d([[0, 1]], undefined, 'int32');
    const nll = await tokenNll(l, y).data();
    expect(nll[0]).toBeCloseTo(-Math.log(0.7), 6);
    expect(nll[1]).toBeCloseTo(-Math.log(0.5), 6);
    expect((await crossEntropy(l, y).data())[0]).toBeCloseTo((-Math.log(0.7) - Math.log(0.5)) / 2, 6);
    expect((await crossEntropy(l, y, tf.tensor2d([[0, 1]])).data())[0]).toBeCloseTo(-Math.log(0.5), 6);
  });
});
