/**
 * Fused AdamW on WebGPU against the reference update: steps of clipping, moments, bias
 * correction and decay (none on rank-1 parameters) over parameters in two groups (the programs
 * take six at a time), a non-finite step and a dry run that change nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { AdamW } from '../../src/distill/optim';
import { FUSED, fusedHere, withKernels } from '../../src/model/fused';
import { Rng } from '../../src/model/rng';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

const SHAPES: Record<string, number[]> = { w: [7, 5], b: [5], big: [300, 3], one: [1], w2: [3, 65], b2: [65], w3: [2, 2], last: [129, 1] };

async function run(set: 'fused' | 'reference', clip: number): Promise<{ params: Float32Array[]; norms: number[]; applied: number[] }> {
  const rng = new Rng(11);
  const rand = (shape: number[], s: number) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => s * rng.normal()), shape);
  let params = Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, rand(s, 1)]));
  const opt = new AdamW(Object.keys(SHAPES), { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, gradClip: clip });
  const norms: number[] = [];
  const applied: number[] = [];
  await withKernels(set, async () => {
    for (let step = 0; step < 5; step++) {
      const grads = Object.fromEntries(Object.entries(SHAPES).map(([n, s]) => [n, rand(s, 0.5 + step)]));
      const loss = tf.scalar(step === 2 ? NaN : 1); // the third step is not finite
      const dry = step === 3; // the fourth is a dry run (profiling): nothing may change
      // Inside a tidy, as the trainer calls it: the state must outlive the caller's scope.
      const r = tf.tidy(() => {
        const u = opt.step(params, grads, loss, 0.05 * (step + 1), { commit: !dry });
        return { params: u.params, gradNorm: u.gradNorm, applied: u.applied } as unknown as tf.TensorContainerObject;
      }) as unknown as ReturnType<AdamW['step']>;
      norms.push((await r.gradNorm.data())[0]!);
      applied.push((await r.applied.data())[0]!);
      if (dry) {
        tf.dispose([...Object.values(r.params), ...Object.values(grads), loss, r.gradNorm, r.applied]); // as the trainer after a dry run
        continue;
      }
      if (applied.at(-1) === 1) opt.accept(); // as the trainer does once it read the step back
      tf.dispose([...Object.values(params), ...Object.values(grads), loss, r.gradNorm, r.applied]);
      params = r.params;
    }
  });
  const out = await Promise.all(Object.values(params).map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(Object.values(params));
  opt.dispose();
  return { params: out, norms, applied };
}

test.each([[1], [0]])('fused AdamW = reference over five steps (clip %d) of eight parameters in two groups, one step not finite, one a dry run', async (clip) => {
  expect(withKernels('fused', () => fusedHere(FUSED.adamMoments) && fusedHere(FUSED.adamParam))).toBe(true);
  const ref = await run('reference', clip);
  const before = tf.memory().numTensors;
  const fused = await run('fused', clip);
  expect(tf.memory().numTensors).toBe(before);
  expect(fused.applied).toEqual([1, 1, 0, 1, 1]);
  expect(ref.applied).toEqual([1, 1, 0, 1, 1]);
  expect(relErr(fused.norms.filter((_, i) => i !== 2), ref.norms.filter((_, i) => i !== 2))).toBeLessThan(1e-5);
  for (let i = 0; i < ref.params.length; i++) expect(relErr(fused.params[i]!, ref.params[i]!), Object.keys(SHAPES)[i]).toBeLessThan(1e-5);
});
