/** Fused GELU on WebGPU against the reference graph: values and gradient, large |x| included. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { FUSED, fusedHere, withKernels } from '../../src/model/fused';
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
