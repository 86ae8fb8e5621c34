/** Fused LayerNorm on WebGPU against the reference graph: the forward and all three gradients. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { takeGpuCounts } from '../../src/engine/gpu-counters';
import { FUSED, fusedHere, withKernels } from '../../src/model/fused';
import { Rng } from '../../src/model/rng';
import { layerNorm } from '../../src/model/transformer';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

const rand = (rng: Rng, shape: number[], scale = 1, shift = 0) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => shift + scale * rng.normal()), shape);

/** y and d(Σ y·w)/d(x, gain, bias) with the given kernel set, as plain arrays. */
async function run(set: 'fused' | 'reference', x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, w: tf.Tensor) {
  return withKernels(set, () => {
    const ys = tf.tidy(() => {
      const y = layerNorm(x, gain, bias, 1e-5);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, b, c, 1e-5), w)))([x, gain, bias]);
      return [y, ...g];
    });
    return Promise.all(ys.map(async (t) => { const v = await t.data(); t.dispose(); return v; }));
  });
}

// Edge shapes: one position; rows narrower than a workgroup and not a multiple of it; B = 1 with
// many positions; GPT-2's width; a large offset (the variance must not cancel).
const CASES: [string, number[], number][] = [
  ['one position', [1, 1, 8], 0],
  ['C = 37', [2, 3, 37], 0],
  ['B = 1, T = 128, C = 128', [1, 128, 128], 0],
  ['C = 768', [2, 5, 768], 0],
  ['offset 100', [3, 4, 64], 100],
];

test.each(CASES)('fused LayerNorm = reference: %s', async (_name, shape, shift) => {
  const rng = new Rng(shape.reduce((a, b) => a * b, 7));
  const C = shape.at(-1)!;
  const x = rand(rng, shape, 2, shift);
  const gain = rand(rng, [C], 0.5, 1);
  const bias = rand(rng, [C], 0.5);
  const w = rand(rng, shape);
  expect(withKernels('fused', () => fusedHere(FUSED.layerNorm))).toBe(true);
  const ref = await run('reference', x, gain, bias, w);
  const fused = await run('fused', x, gain, bias, w);
  for (let i = 0; i < 4; i++) expect(relErr(fused[i]!, ref[i]!), ['y', 'dx', 'd gain', 'd bias'][i]).toBeLessThan(shift ? 2e-3 : 2e-5);
  tf.dispose([x, gain, bias, w]);
});

test('fused LayerNorm is one dispatch forward where the reference takes several', async () => {
  const rng = new Rng(3);
  const [x, gain, bias] = [rand(rng, [4, 16, 32]), rand(rng, [32]), rand(rng, [32])];
  const count = async (set: 'fused' | 'reference') => {
    await withKernels(set, () => layerNorm(x, gain, bias, 1e-5)).data(); // compile first
    takeGpuCounts();
    const y = withKernels(set, () => layerNorm(x, gain, bias, 1e-5));
    const n = takeGpuCounts().dispatches;
    await y.data();
    y.dispose();
    return n;
  };
  expect(await count('fused')).toBe(1);
  expect(await count('reference')).toBeGreaterThan(4);
  tf.dispose([x, gain, bias]);
});
