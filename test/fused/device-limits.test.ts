/**
 * The device tfjs makes has the adapter's limits, not WebGPU's defaults (tfjs-backend-webgpu asks
 * for the adapter's maxStorageBufferBindingSize, maxBufferSize and workgroup limits when it makes
 * the device, in the browser and in Node alike), so a tensor past the default 128 MiB binding
 * binds where the adapter allows it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { fusedGelu, withKernels } from '../../src/model/fused';
import { gelu } from '../../src/model/transformer';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

const device = () => (tf.backend() as unknown as { device: GPUDevice }).device;
const DEFAULT_BINDING = 128 * 2 ** 20; // WebGPU's default maxStorageBufferBindingSize

test("the device has the adapter's binding, buffer and dispatch limits", async () => {
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  expect(adapter).not.toBeNull();
  for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension'] as const) {
    expect(device().limits[k], k).toBe(adapter!.limits[k]);
  }
});

test('a tensor past 128 MiB goes through a tfjs op and a fused program where the adapter allows it', async (ctx) => {
  const n = 33 * 2 ** 20; // 132 MiB of float32
  const limits = device().limits;
  if (limits.maxStorageBufferBindingSize < 4 * n || limits.maxBufferSize < 4 * n) {
    const most = `${limits.maxStorageBufferBindingSize} bytes (buffers ${limits.maxBufferSize})`;
    ctx.skip(`this adapter binds at most ${most}: ${4 * n} do not fit`);
  }
  expect(4 * n).toBeGreaterThan(DEFAULT_BINDING);
  const small = tf.randomNormal([1024], 0, 3, 'float32', 1);
  const ref = Float32Array.from(await withKernels('reference', () => gelu(small)).data());
  // tfjs's tile writes 132 MiB, the fused GELU reads and writes as much
  const y = tf.tidy(() => fusedGelu(tf.tile(small, [n / 1024])));
  const v = await y.data();
  y.dispose();
  small.dispose();
  expect(v.length).toBe(n);
  let err = 0;
  for (let k = 0; k < n / 1024; k++) err = Math.max(err, relErr(v.subarray(k * 1024, (k + 1) * 1024), ref));
  expect(err).toBeLessThan(1e-5);
});
