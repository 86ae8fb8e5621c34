/**
 * The test set's teacher-forced NLL: the response tokens' −log p summed, computed a few examples at a time
 * (GPT-2's vocabulary) and only at the response positions, against a full forward's log-softmax in plain
 * JavaScript.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { responseNll } from '../../src/distill/evaluate';
import { Rng } from '../../src/model/rng';
import { forward } from '../../src/model/transformer';
import { ALL_TARGETS, randomIds, randomModel, tinyConfig } from '../helpers';

test('responseNll: Σ −log p of the response tokens, whole or a few examples at a time', async () => {
  const cfg = tinyConfig();
  const model = randomModel(cfg, 11, ALL_TARGETS);
  const [B, P, R, V] = [5, 4, 3, cfg.vocabSize];
  const prompt = randomIds(new Rng(12), B, P, V);
  const response = randomIds(new Rng(13), B, R, V);
  const seq = tf.concat([prompt, response], 1);
  const logits = (await forward(model, tf.slice(seq, [0, 0], [B, P + R - 1]) as tf.Tensor2D).logits.array()) as number[][][];
  const ids = (await seq.array()) as number[][];
  let want = 0;
  for (let b = 0; b < B; b++) {
    for (let t = P - 1; t < P + R - 1; t++) {
      const row = logits[b]![t]!;
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
      want += lse - row[ids[b]![t + 1]!]!;
    }
  }
  const whole = (await responseNll(model, prompt, response).data())[0]!;
  const byTwo = (await responseNll(model, prompt, response, 2 * R * V).data())[0]!; // 2, 2 and 1 examples
  const byOne = (await responseNll(model, prompt, response, 1).data())[0]!; // at least one example a time
  expect(whole).toBeCloseTo(want, 4);
  expect(byTwo).toBeCloseTo(want, 4);
  expect(byOne).toBeCloseTo(want, 4);
});
