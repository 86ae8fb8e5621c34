/**
 * Fused divergences (all five, at a temperature) and token NLL on WebGPU against the reference
 * graph: values and the gradient with respect to the student's logits (the teacher is frozen).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { FUSED, fusedHere, fusedStudentDivergence, withKernels } from '../../src/model/fused';
import { type DivergenceOptions, divergence, tokenNll } from '../../src/model/losses';
import { Rng } from '../../src/model/rng';
import { DIVERGENCE_CASES as KINDS, onWebGPU, relErr } from './webgpu';

onWebGPU();


const rand = (rng: Rng, shape: number[], scale: number) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()), shape);

async function both(f: (s: tf.Tensor) => tf.Tensor, s: tf.Tensor, w: tf.Tensor) {
  const outs = tf.tidy(() => [f(s), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), w)))(s)]);
  const vals = await Promise.all(outs.map((t) => t.data()));
  tf.dispose(outs);
  return vals;
}

test.each([
  [[1, 1, 5]],
  [[2, 3, 37]],
  [[1, 4, 300]],
])('fused divergence = reference, value and student gradient, every kind, shape %j', async (shape) => {
  const rng = new Rng(shape[2]!);
  const t = rand(rng, shape, 3);
  const s = rand(rng, shape, 3);
  const w = rand(rng, shape.slice(0, 2), 1);
  expect(fusedHere(FUSED.divergence)).toBe(true);
  for (const dv of KINDS) {
    const ref = await withKernels('reference', () => both((x) => divergence(t, x, dv), s, w));
    const fused = await both((x) => fusedStudentDivergence(t, x, dv), s, w);
    expect(relErr(fused[0]!, ref[0]!), `${dv.kind} D`).toBeLessThan(1e-4);
    expect(relErr(fused[1]!, ref[1]!), `${dv.kind} dD/ds`).toBeLessThan(1e-4);
  }
  tf.dispose([t, s, w]);
});

test('fused token NLL = reference, value and gradient', async () => {
  const rng = new Rng(5);
  const x = rand(rng, [3, 4, 41], 2);
  const y = tf.tensor2d(Array.from({ length: 12 }, () => rng.int(41)), [3, 4], 'int32');
  const w = rand(rng, [3, 4], 1);
  expect(fusedHere(FUSED.tokenNll)).toBe(true);
  const ref = await withKernels('reference', () => both((l) => tokenNll(l, y), x, w));
  const fused = await withKernels('fused', () => both((l) => tokenNll(l, y), x, w));
  expect(relErr(fused[0]!, ref[0]!)).toBeLessThan(1e-5);
  expect(relErr(fused[1]!, ref[1]!)).toBeLessThan(1e-5);
  tf.dispose([x, y, w]);
});
