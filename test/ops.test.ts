import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { addAll } from '../src/model/ops';

test('addAll sums any number of tensors', async () => {
  for (const n of [1, 2, 3, 8, 9, 50]) {
    const xs = Array.from({ length: n }, (_, i) => tf.fill([2], i + 1));
    expect(Array.from(await addAll(xs).data())).toEqual([(n * (n + 1)) / 2, (n * (n + 1)) / 2]);
  }
  expect(() => addAll([])).toThrow();
});
