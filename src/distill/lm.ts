/** Language-model measurements on text: the per-character loss over fixed held-out windows. */
import * as tf from '@tensorflow/tfjs-core';
import { corpusSource } from '../data/source';
import { crossEntropy } from '../model/losses';
import { type Transformer, forward } from '../model/transformer';

/** Mean per-character loss (nats) over fixed held-out windows: the validation loss. */
export async function heldOutLoss(model: Transformer, text: string, alphabet: string, window: number, n: number, seed: number): Promise<number> {
  const src = corpusSource({ train: text, heldOut: text, alphabet, mode: 'lm', window, testExamples: n });
  const ex = src.testSet(seed)[0]!.examples;
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

