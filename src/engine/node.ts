/**
 * The Node host of the engine (unit tests and scripts/): registers gradients and the `cpu`
 * backend through @tensorflow/tfjs's Node bundle. Never @tensorflow/tfjs-node: its install
 * downloads a binary.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';

export type NodeBackend = 'cpu';

export async function initNodeBackend(name: NodeBackend = 'cpu'): Promise<void> {
  tf.env().set('PROD', true); // silences the one-off "install tfjs-node" banner
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
}
