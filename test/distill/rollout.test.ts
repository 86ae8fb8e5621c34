/** STI rollouts: the τ extremes, the threshold rule, the top-K rule, and the layer map. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { layerDivergences, layerMap } from '../../src/distill/layers';
import { presetModelConfig, studentFromBase } from '../../src/distill/models';
import { type RolloutOptions, stiRollout } from '../../src/distill/rollout';
import { randomModel } from '../helpers';
import { divergence } from '../../src/model/losses';
import { generate } from '../../src/model/sampling';
import { forward } from '../../src/model/transformer';
import { MICRO, MICRO_DATA } from './fixtures';

const cfg = presetModelConfig(MICRO, MICRO_DATA);
const teacher = randomModel(cfg, 11);
const student = studentFromBase(randomModel(cfg, 12));
const prompt = tf.tensor2d([[1, 2, 3, 4, 9], [4, 3, 2, 1, 9], [5, 6, 7, 8, 9]], undefined, 'int32'); // [3, 5]
const N = 6;
const base: RolloutOptions = {
  length: N,
  trigger: 'threshold',
  tau: new Array(N).fill(0),
  topK: 3,
  divergence: { kind: 'fkl' },
  sampling: { greedy: false, temperature: 1, topK: 0, topP: 1 },
  seed: 42,
};
const arr = async (t: tf.Tensor) => Array.from(await t.data());

/** Teacher and student logits at every response position of prompt + tokens: [B, N, V] each. */
function scoreResponse(tokens: tf.Tensor2D) {
  const seq = tf.concat([prompt, tokens], 1);
  const inputs = tf.slice(seq, [0, 0], [3, 5 + N - 1]) as tf.Tensor2D;
  const cut = (l: tf.Tensor3D) => tf.slice(l, [0, 4, 0], [3, N, cfg.vocabSize]);
  return { t: cut(forward(teacher, inputs).logits), s: cut(forward(student, inputs).logits) };
}

describe('STI rollout', () => {
  test('τ = 0 intervenes everywhere and yields the teacher’s own sample', async () => {
    const r = stiRollout(student, teacher, prompt, { ...base, tau: new Array(N).fill(0) });
    expect(await arr(r.intervened)).toEqual(new Array(3 * N).fill(1));
    expect(await arr(r.tokens)).toEqual(await arr(generate(teacher, prompt, N, base.sampling, base.seed)));
  });

  test('τ = ∞ intervenes nowhere and yields exactly the student’s own sample for the same seed', async () => {
    const r = stiRollout(student, teacher, prompt, { ...base, tau: new Array(N).fill(Infinity) });
    expect(await arr(r.intervened)).toEqual(new Array(3 * N).fill(0));
    const own = await arr(generate(student, prompt, N, base.sampling, base.seed));
    expect(await arr(r.tokens)).toEqual(own);
    expect(await arr(r.studentTokens)).toEqual(own);
    // A different seed gives a different sample.
    expect(await arr(generate(student, prompt, N, base.sampling, base.seed + 1))).not.toEqual(own);
  });

  test('a middle τ intervenes exactly where D_t ≥ τ, and D_t is the divergence on the final prefix', async () => {
    const probe = stiRollout(student, teacher, prompt, { ...base, tau: new Array(N).fill(Infinity) });
    const dAll = (await arr(probe.divergence)).sort((a, b) => a - b);
    const tau = dAll[Math.floor(dAll.length / 2)]!;
    const r = stiRollout(student, teacher, prompt, { ...base, tau: new Array(N).fill(tau) });
    const d = await arr(r.divergence);
    const m = await arr(r.intervened);
    expect(m).toEqual(d.map((x) => (x >= tau ? 1 : 0)));
    expect(m.some((x) => x === 1) && m.some((x) => x === 0)).toBe(true);
    const { t, s } = scoreResponse(r.tokens);
    const ref = await arr(divergence(t, s, { kind: 'fkl' }));
    ref.forEach((x, i) => expect(Math.abs(x - d[i]!)).toBeLessThan(1e-4));
    const tok = await arr(r.tokens);
    const prop = await arr(r.studentTokens);
    m.forEach((x, i) => x === 0 && expect(tok[i]).toBe(prop[i]));
  });

  test('a threshold that changes along the response: each position t intervenes exactly where D_t ≥ τ_t', async () => {
    const probe = stiRollout(student, teacher, prompt, { ...base, tau: new Array(N).fill(Infinity) });
    const dAll = (await arr(probe.divergence)).sort((a, b) => a - b);
    // τ_t falls from above every divergence to below every one: late positions fire, early ones do not.
    const tau = Array.from({ length: N }, (_, t) => (dAll.at(-1)! + 1) * Math.exp(-1.5 * t));
    const r = stiRollout(student, teacher, prompt, { ...base, tau });
    const d = await arr(r.divergence);
    const m = await arr(r.intervened);
    expect(m).toEqual(d.map((x, i) => (x >= tau[i % N]! ? 1 : 0)));
    expect([0, N, 2 * N].map((i) => m[i]), 'τ_0 is above every divergence').toEqual([0, 0, 0]);
    expect(m.some((x) => x === 1)).toBe(true);
    // The same τ at every position (τ_0 everywhere) would intervene nowhere: the per-position value is what fires.
    const flat = stiRollout(student, teacher, prompt, { ...base, tau: new Array(N).fill(tau[0]) });
    expect((await arr(flat.intervened)).every((x) => x === 0)).toBe(true);
    expect(() => stiRollout(student, teacher, prompt, { ...base, tau: tau.slice(0, N - 1) })).toThrow(/no threshold for position 5/);
  });

  test('topk replaces exactly the positions whose student token is outside the teacher’s top-K', async () => {
    const K = 3;
    const r = stiRollout(student, teacher, prompt, { ...base, trigger: 'topk', topK: K, tau: [] });
    const m = await arr(r.intervened);
    const prop = await arr(r.studentTokens);
    const tok = await arr(r.tokens);
    const { t } = scoreResponse(r.tokens);
    const tl = await arr(t); // [3, N, V]
    const V = cfg.vocabSize;
    let replaced = 0;
    for (let i = 0; i < 3 * N; i++) {
      const row = tl.slice(i * V, (i + 1) * V);
      const kth = [...row].sort((a, b) => b - a)[K - 1]!;
      const outside = row[prop[i]!]! < kth;
      expect(m[i], `position ${i}`).toBe(outside ? 1 : 0);
      if (!outside) expect(tok[i]).toBe(prop[i]);
      replaced += m[i]!;
    }
    console.log(`topk rollout: ${replaced} of ${3 * N} positions replaced`);
    expect(replaced).toBeGreaterThan(0);
    expect(replaced).toBeLessThan(3 * N);
  });

  test('trigger none never intervenes', async () => {
    const r = stiRollout(student, teacher, prompt, { ...base, trigger: 'none', tau: [] });
    expect((await arr(r.intervened)).every((x) => x === 0)).toBe(true);
  });
});

describe('layers', () => {
  test('uniform layer map g(ℓ) = round(ℓ·L_T/L_S)', () => {
    expect(layerMap(2, 4)).toEqual([2, 4]);
    expect(layerMap(3, 12)).toEqual([4, 8, 12]);
    expect(layerMap(6, 12)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(layerMap(3, 4)).toEqual([1, 3, 4]);
  });
  test('per-layer divergence for L_T = 4, L_S = 2: shape [L_S, B, T], last layer = output divergence', async () => {
    expect(teacher.config.nLayer).toBe(4);
    expect(student.config.nLayer).toBe(2);
    const ids = tf.slice(prompt, [0, 0], [3, 4]) as tf.Tensor2D;
    const rt = forward(teacher, ids, { returnHidden: true });
    const rs = forward(student, ids, { returnHidden: true });
    const { loss: D, gate } = layerDivergences(student, rs.hidden!, teacher, rt.hidden!, { kind: 'fkl' });
    expect(gate, 'one divergence: the gate is the loss tensor').toBe(D);
    expect(D.shape).toEqual([2, 3, 4]);
    const out = await arr(divergence(rt.logits, rs.logits, { kind: 'fkl' }));
    const last = await arr(tf.slice(D, [1, 0, 0], [1, 3, 4]));
    last.forEach((x, i) => expect(x).toBeCloseTo(out[i]!, 5));
    const first = await arr(tf.slice(D, [0, 0, 0], [1, 3, 4]));
    expect(first.every((x) => x >= 0)).toBe(true);
    expect(first).not.toEqual(last);
  });
  test('a gate of another divergence: its own values per layer, and no gradient through it', async () => {
    const ids = tf.slice(prompt, [0, 0], [3, 4]) as tf.Tensor2D;
    const rt = forward(teacher, ids, { returnHidden: true });
    const jsd = { kind: 'jsd' as const };
    const both = (m: typeof student) => {
      const rs = forward(m, ids, { returnHidden: true });
      return layerDivergences(m, rs.hidden!, teacher, rt.hidden!, { kind: 'fkl' }, jsd);
    };
    const { loss, gate } = both(student);
    expect(gate).not.toBe(loss);
    const rs = forward(student, ids, { returnHidden: true });
    const own = layerDivergences(student, rs.hidden!, teacher, rt.hidden!, jsd).loss; // jsd as the loss: the same numbers
    (await arr(gate)).forEach((x, i, a) => expect(x, `${i} of ${a.length}`).toBeCloseTo((own.dataSync() as Float32Array)[i]!, 6));
    // d Σ gate / d weights is zero; d Σ loss / d weights is not.
    const name = 'h.0.attn.qkv.weight';
    const grad = (pick: 'gate' | 'loss') =>
      tf.grad((w: tf.Tensor) => tf.sum(both({ ...student, weights: { ...student.weights, [name]: w } })[pick]))(student.weights[name]!);
    expect(Math.max(...(await arr(tf.abs(grad('gate')))))).toBe(0);
    expect(Math.max(...(await arr(tf.abs(grad('loss')))))).toBeGreaterThan(0);
  });
});
