/**
 * The distinct-buffer ledger (src/model/buffers.ts): a clone or a reshape shares its buffer and adds nothing,
 * a new result adds its bytes, a buffer is dropped only when its last tensor is; its peak over a piece of
 * work against tf.profile's logical peak, which counts every tensor object.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { bufferLedger, bufferPeak } from '../src/model/buffers';

test('each buffer counted once: clones and reshapes share it, and it goes with its last tensor', () => {
  const ledger = bufferLedger();
  const start = ledger.live;
  const a = tf.fill([1024], 1); // 4 KiB
  expect(ledger.live - start).toBe(4096);
  const b = tf.clone(a);
  const c = tf.reshape(a, [32, 32]);
  expect(ledger.live - start).toBe(4096); // tfjs's numBytes: 12,288
  const d = tf.add(a, 1);
  expect(ledger.live - start).toBe(8192);
  tf.dispose([a, b]);
  expect(ledger.live - start).toBe(8192); // c still holds the buffer
  c.dispose();
  expect(ledger.live - start).toBe(4096);
  d.dispose();
  expect(ledger.live).toBe(start);
  expect(bufferLedger()).toBe(ledger); // installed once
});

test('the peak of a piece of work: distinct buffers against tf.profile counting every tensor', async () => {
  expect(bufferLedger().complete).toBe(true); // installed by initNodeBackend before any tensor (test/setup.ts)
  const x = tf.fill([1 << 16], 2); // 256 KiB
  const live = bufferLedger().live;
  let logical = 0;
  const peak = await bufferPeak(async () => {
    logical = (
      await tf.profile(() => {
        const copies = [tf.clone(x), tf.clone(x), tf.reshape(x, [256, 256])]; // no new buffer
        const y = tf.square(x); // one new buffer
        tf.dispose([...copies, y]);
      })
    ).peakBytes;
  });
  expect(peak! - live).toBe(1 << 18); // y alone
  expect(logical - tf.memory().numBytes).toBe(4 * (1 << 18)); // three copies and y, each counted
  x.dispose();
});
