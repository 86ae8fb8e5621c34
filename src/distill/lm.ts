/** Language-model measurements on text: the per-character loss over fixed held-out windows. */
import * as tf from '@tensorflow/tfjs-core';
import { corpusSource } from '../data/source';
import { crossEntropy, tokenNll } from '../model/losses';
import { type Transformer, forward } from '../model/transformer';

/** Mean per-character loss (nats) over fixed held-out windows: the validation loss. */
export async function heldOutLoss(model: Transformer, text: string, alphabet: string, window: number, n: number, seed: number): Promise<number> {
  const src = corpusSource({ train: text, heldOut: text, alphabet, mode: 'lm', window, testExamples: n, testSeed: seed });
  const ex = src.testSet()[0]!.examples;
  let total = 0;
  for (let i = 0; i < ex.length; i += 16) {
    const chunk = ex.slice(i, i + 16);
    const ids = chunk.map((e) => src.tokenizer.encode(e.prompt + e.response));
    const l = tf.tidy(() => {
      const seq = tf.tensor2d(ids.flat(), [chunk.length, window], 'int32');
      const logits = forward(model, tf.slice(seq, [0, 0], [chunk.length, window - 1]) as tf.Tensor2D).logits;
      return tf.mul(crossEntropy(logits, tf.slice(seq, [0, 1], [chunk.length, window - 1])), chunk.length);
    });
    total += (await l.data())[0]!;
    l.dispose();
  }
  return total / ex.length;
}


/**
 * Mean negative log-likelihood per token of a token sequence under the model: windows of the
 * model's context, each predicting its tokens after the first from those before them, so that
 * every token after the first is predicted once. Returns the mean and how many tokens were scored.
 */
export async function sequenceNll(model: Transformer, ids: number[]): Promise<{ nll: number; tokens: number }> {
  const W = model.config.contextLength; // inputs per window
  const windows: number[][] = [];
  for (let s = 0; s + 1 < ids.length; s += W) windows.push(ids.slice(s, s + W + 1));
  let total = 0;
  for (const w of windows) {
    // One window at a time: the last may be shorter.
    const l = tf.tidy(() => {
      const seq = tf.tensor2d([w], [1, w.length], 'int32');
      const logits = forward(model, tf.slice(seq, [0, 0], [1, w.length - 1]) as tf.Tensor2D).logits;
      return tf.sum(tokenNll(logits, tf.slice(seq, [0, 1], [1, w.length - 1])));
    });
    total += (await l.data())[0]!;
    l.dispose();
  }
  const tokens = Math.max(0, ids.length - 1);
  return { nll: tokens > 0 ? total / tokens : NaN, tokens };
}
