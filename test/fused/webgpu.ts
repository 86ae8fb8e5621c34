/**
 * The fused kernels' tests run on a real WebGPU device in Node: Dawn (the `webgpu` package) on
 * the machine's Vulkan driver, or Chromium's SwiftShader where there is no GPU (as in CI). Each
 * file switches to webgpu for its tests and back to cpu after (the other tests expect cpu).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll } from 'vitest';
import { installGpuCounters } from '../../src/engine/gpu-counters';
import { initNodeBackend } from '../../src/engine/node';
import type { DivergenceOptions } from '../../src/model/losses';

export function onWebGPU(): void {
  beforeAll(async () => {
    await initNodeBackend('webgpu');
    installGpuCounters();
    tf.env().set('WEBGPU_CPU_FORWARD', false); // every op on the GPU, as on real models
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
}

/** Largest |a − b| / (1 + |b|) over two arrays of one length. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return Number.isNaN(m) ? Infinity : m;
}

/** The divergences the fused programs are checked on: every kind, temperatures ≠ 1, and gjsd at β = 1 (which is rkl). */
export const DIVERGENCE_CASES: DivergenceOptions[] = [
  { kind: 'fkl', temperature: 2 },
  { kind: 'rkl', temperature: 1 },
  { kind: 'gjsd', temperature: 1.5, beta: 0.3 },
  { kind: 'gjsd', temperature: 1, beta: 1 },
  { kind: 'jsd', temperature: 1.2 },
  { kind: 'skl', temperature: 1, alpha: 0.2 },
  { kind: 'tvd', temperature: 0.7 },
];
