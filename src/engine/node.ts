/**
 * The Node host of the engine (unit tests and scripts/): registers gradients and the `cpu`
 * backend through @tensorflow/tfjs's Node bundle, the `wasm` backend from the .wasm files inside
 * its npm package, and `webgpu` through Dawn (the `webgpu` npm package: the WebGPU implementation
 * inside Chrome, built for Node) on whatever Vulkan driver the machine has — a real GPU's, or the
 * SwiftShader driver that Debian's chromium package ships (a CPU emulation, for tests).
 * Never @tensorflow/tfjs-node: its install downloads a binary.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { registerFusedKernels } from './fused';
import { registerUnsortedSegmentSum } from './kernels';
import { type AdapterInfo, adapterInfo, isSoftwareAdapter } from '../protocol/backend';

export const NODE_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/** The SwiftShader Vulkan driver of Debian's chromium package. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface NodeGpu {
  adapter: AdapterInfo;
  software: boolean;
  /** How the Vulkan driver was found: the system's, or the one named by VK_ICD_FILENAMES. */
  driver: string;
}

let nodeGpu: NodeGpu | null = null;

/** The WebGPU adapter Node got, once `initNodeBackend('webgpu')` ran. */
export const nodeGpuInfo = (): NodeGpu | null => nodeGpu;

/**
 * Gives this process a `navigator.gpu` from Dawn: the system's Vulkan driver first; where it
 * has none that Dawn accepts (no GPU, or a too-old lavapipe) and no driver was named, Chromium's
 * SwiftShader. Then imports tfjs's webgpu backend, which registers itself only when navigator.gpu
 * exists at import time.
 */
async function installDawn(): Promise<NodeGpu> {
  if (nodeGpu) return nodeGpu;
  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (e) {
    throw new Error(`webgpu in Node needs the "webgpu" npm package (a devDependency: run npm install): ${(e as Error).message}`);
  }
  Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUComputePassEncoder, ...
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  const named = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  let gpu = dawn.create([]);
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  let driver = named ? `VK_ICD_FILENAMES=${named}` : 'the system Vulkan driver';
  if (!adapter && !named && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD; // the Vulkan loader reads it when Dawn makes an instance
    gpu = dawn.create([]);
    adapter = await gpu.requestAdapter();
    driver = `Chromium's SwiftShader (${SWIFTSHADER_ICD})`;
  }
  if (!adapter) {
    throw new Error(
      'no WebGPU adapter in Node: Dawn found no Vulkan driver it can use. Install the Vulkan loader (apt-get install libvulkan1) ' +
        `and a GPU driver, or Debian's chromium for its SwiftShader driver (${SWIFTSHADER_ICD}), or name a driver with VK_ICD_FILENAMES.`,
    );
  }
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  registerFusedKernels();
  const info = adapterInfo(adapter);
  nodeGpu = { adapter: info, software: isSoftwareAdapter(info), driver };
  return nodeGpu;
}

export async function initNodeBackend(name: NodeBackend = 'cpu'): Promise<void> {
  tf.env().set('PROD', true); // silences the one-off "install tfjs-node" banner
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    registerUnsortedSegmentSum('wasm');
  }
  if (name === 'webgpu') await installDawn();
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
}

/** One line naming the backend and, on webgpu, the adapter: every benchmark figure needs it. */
export function describeNodeBackend(): string {
  const name = tf.getBackend();
  if (name !== 'webgpu' || !nodeGpu) return `${name} (CPU, Node)`;
  const a = nodeGpu.adapter;
  return `webgpu · ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' ')}${nodeGpu.software ? ' (software adapter)' : ''} via Dawn in Node, ${nodeGpu.driver}`;
}
