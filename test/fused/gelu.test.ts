/** Fused GELU on WebGPU against the reference graph: values and gradient, large |x| included. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { FUSED, fusedHere, fusedMatMulAdd, fusedMatMulGelu, withKernels } from '../../src/model/fused';
import { Rng } from '../../src/model/rng';
import { gelu } from '../../src/model/transformer';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

async function run(set: 'fused' | 'reference', x: tf.Tensor, w: tf.Tensor) {
  return withKernels(set, async () => {
    const [y, dx] = tf.tidy(() => [gelu(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gelu(a), w)))(x)]);
    const out = [await y!.data(), await dx!.data()];
    tf.dispose([y!, dx!]);
    return out;
  });
}

test.each([[[1]], [[3, 37]], [[2, 65, 129]]])('fused GELU = reference, shape %j', async (shape) => {
  const rng = new Rng(shape.length * 31 + shape[0]!);
  const n = shape.reduce((a, b) => a * b, 1);
  const xs = Array.from({ length: n }, (_, i) => (i === 0 ? 60 : i === 1 ? -60 : 4 * rng.normal())); // ±60: tanh saturates
  const x = tf.tensor(xs.slice(0, n), shape);
  const w = tf.tensor(Array.from({ length: n }, () => rng.normal()), shape);
  expect(withKernels('fused', () => fusedHere(FUSED.gelu))).toBe(true);
  const ref = await run('reference', x, w);
  const fused = await run('fused', x, w);
  expect(relErr(fused[0]!, ref[0]!), 'y').toBeLessThan(1e-5);
  expect(relErr(fused[1]!, ref[1]!), 'dx').toBeLessThan(1e-5);
  tf.dispose([x, w]);
});

test('fused matmul + GELU (decoding) = GELU(x·w)', async () => {
  const rng = new Rng(8);
  const x = tf.tensor2d(Array.from({ length: 3 * 37 }, () => rng.normal()), [3, 37]);
  const w = tf.tensor2d(Array.from({ length: 37 * 70 }, () => 0.5 * rng.normal()), [37, 70]);
  expect(fusedHere(FUSED.matMulGelu)).toBe(true);
  const ref = await withKernels('reference', () => gelu(tf.matMul(x, w))).data();
  const fused = await fusedMatMulGelu(x, w).data();
  expect(relErr(fused, ref)).toBeLessThan(1e-5);
  tf.dispose([x, w]);
});

test('fused matmul + residual (decoding) = r + x·w', async () => {
  const rng = new Rng(9);
  const x = tf.tensor2d(Array.from({ length: 3 * 37 }, () => rng.normal()), [3, 37]);
  const w = tf.tensor2d(Array.from({ length: 37 * 70 }, () => 0.5 * rng.normal()), [37, 70]);
  const r = tf.tensor2d(Array.from({ length: 3 * 70 }, () => rng.normal()), [3, 70]);
  expect(fusedHere(FUSED.matMulAdd)).toBe(true);
  const ref = await withKernels('reference', () => tf.add(r, tf.matMul(x, w))).data();
  const fused = await fusedMatMulAdd(x, w, r).data();
  expect(relErr(fused, ref)).toBeLessThan(1e-5);
  tf.dispose([x, w, r]);
});
