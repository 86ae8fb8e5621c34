/**
 * The Node host of the engine (unit tests and scripts/): registers gradients and the `cpu`
 * backend through @tensorflow/tfjs's Node bundle, and the `wasm` backend from the .wasm files
 * inside its npm package. Never @tensorflow/tfjs-node: its install downloads a binary.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { registerUnsortedSegmentSum } from './kernels';

export const NODE_BACKENDS = ['cpu', 'wasm'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export async function initNodeBackend(name: NodeBackend = 'cpu'): Promise<void> {
  tf.env().set('PROD', true); // silences the one-off "install tfjs-node" banner
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    registerUnsortedSegmentSum('wasm');
  }
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
}
