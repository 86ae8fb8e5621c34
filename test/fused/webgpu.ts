/**
 * The fused kernels' tests run on a real WebGPU device in Node: Dawn (the `webgpu` package) on
 * the machine's Vulkan driver, or Chromium's SwiftShader where there is no GPU (as in CI). Each
 * file switches to webgpu for its tests and back to cpu after (the other tests expect cpu).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll } from 'vitest';
import { installGpuCounters } from '../../src/engine/gpu-counters';
import { initNodeBackend } from '../../src/engine/node';

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
