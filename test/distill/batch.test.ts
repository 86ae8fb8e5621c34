/** The end-of-response mask of rollouts: positions after the first end mark do not count; the mark itself does. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { validMask } from '../../src/distill/batch';

test('validMask: 1 up to and including the first end mark, 0 after it, per row', async () => {
  const EOS = 9;
  const tokens = tf.tensor2d([[5, EOS, 5, 5], [5, 5, 5, 5], [EOS, 5, EOS, 5], [5, 5, 5, EOS]], undefined, 'int32');
  const m = validMask(tokens, EOS);
  expect(await m.array()).toEqual([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 1, 1]]);
  expect(await validMask(tokens, -1).array()).toEqual([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]); // no end mark: all count
  tf.dispose([tokens, m]);
});
