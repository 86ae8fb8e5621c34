/**
 * The Node host of the engine (unit tests and scripts/): registers gradients and the `cpu`
 * backend through @tensorflow/tfjs's Node bundle, the `wasm` backend from the .wasm files inside
 * its npm package, and `webgpu` through Dawn (the `webgpu` npm package: the WebGPU implementation
 * inside Chrome, built for Node) on whatever Vulkan driver the machine has — a real GPU's, or the
 * SwiftShader driver that Debian's chromium package ships (a CPU emulation, for tests).
 * Never @tensorflow/tfjs-node: its install downloads a binary.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { bufferLedger } from '../model/buffers';
import { registerFusedKernels } from './fused';
import { registerSharedIdentity, registerUnsortedSegmentSum } from './kernels';
import { type NodeGpu, describeDawn, installDawnGpu } from './dawn';

export { type NodeGpu, SWIFTSHADER_ICD } from './dawn';

export const NODE_BACKENDS = ['cpu', 'wasm', 'webgpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

let nodeGpu: NodeGpu | null = null;

/** The WebGPU adapter Node got, once `initNodeBackend('webgpu')` ran. */
export const nodeGpuInfo = (): NodeGpu | null => nodeGpu;

/** Dawn's navigator.gpu (dawn.ts), then tfjs's webgpu backend, which registers itself only when navigator.gpu exists at import time. */
async function installDawn(): Promise<NodeGpu> {
  if (nodeGpu) return nodeGpu;
  nodeGpu = await installDawnGpu();
  await import('@tensorflow/tfjs-backend-webgpu');
  registerFusedKernels();
  return nodeGpu;
}

export async function initNodeBackend(name: NodeBackend = 'cpu'): Promise<void> {
  tf.env().set('PROD', true); // silences the one-off "install tfjs-node" banner
  bufferLedger(); // before the first tensor: the resources table's distinct-buffer peak counts every buffer
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    registerUnsortedSegmentSum('wasm');
    registerSharedIdentity('wasm');
  }
  if (name === 'webgpu') await installDawn();
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
}

/** One line naming the backend and, on webgpu, the adapter: every benchmark figure needs it. */
export function describeNodeBackend(): string {
  const name = tf.getBackend();
  if (name !== 'webgpu' || !nodeGpu) return `${name} (CPU, Node)`;
  return describeDawn(nodeGpu);
}
