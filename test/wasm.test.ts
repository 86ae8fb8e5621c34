/** The wasm backend in Node: the added UnsortedSegmentSum kernel and one training step's parity with cpu. */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, expect, test } from 'vitest';
import { initNodeBackend } from '../src/engine/node';
import { bufferLedger } from '../src/model/buffers';
import { distillParity, gradientParity } from '../src/engine/selfcheck';

afterAll(async () => {
  await tf.setBackend('cpu');
});

test('UnsortedSegmentSum on wasm equals cpu', async () => {
  await initNodeBackend('wasm');
  const run = async () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const ids = tf.tensor1d([2, 0, 2, 5], 'int32'); // 5 is out of range: dropped
    return Array.from(await tf.unsortedSegmentSum(x, ids, 3).data());
  };
  const wasm = await run();
  await tf.setBackend('cpu');
  expect(wasm).toEqual([3, 4, 0, 0, 6, 8]);
  expect(await run()).toEqual(wasm);
});

test('tf.clone on wasm shares its buffer: a gradient\'s saved tensors and a cut student are no copies', async () => {
  await initNodeBackend('wasm');
  const ledger = bufferLedger();
  const x = tf.tensor1d([1, 2, 3, 4]);
  const live = ledger.live;
  const y = tf.clone(x);
  expect(ledger.live).toBe(live); // wasm's own Identity: 16 bytes more
  x.dispose();
  expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]); // the buffer lives on with its last tensor
  y.dispose();
  expect(ledger.live).toBe(live - 16);
  const s = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
  expect(await s.data()).toEqual(['a', 'b']); // strings keep wasm's kernel
});

test('one training step on wasm matches cpu (loss and every gradient)', async () => {
  await initNodeBackend('wasm');
  const r = await gradientParity('wasm', 'cpu');
  console.log(`wasm vs cpu: ${r.tensors} tensors, largest gradient relative error ${r.maxGradRelErr.toExponential(2)} (${r.worstTensor}), loss rel err ${r.lossRelErr.toExponential(2)}`);
  expect(r.ok).toBe(true);
  expect(r.maxGradRelErr).toBeLessThan(1e-4);
});

test('three sti-lora steps on wasm match cpu', async () => {
  await initNodeBackend('wasm');
  const r = await distillParity('wasm', 'cpu');
  console.log(`wasm vs cpu distillation: losses ${r.lossesActive.map((x) => x.toFixed(5))} vs ${r.lossesReference.map((x) => x.toFixed(5))}`);
  expect(r.ok).toBe(true);
  expect(r.interventionActive).toEqual(r.interventionReference);
});
