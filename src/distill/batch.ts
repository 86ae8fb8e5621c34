/**
 * A batch on the device: examples of one prompt length and one response length encoded as two id
 * blocks, and the mask of the response positions that count (up to and including the first end
 * mark).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Example } from '../data/tasks';
import type { Tokenizer } from '../data/tokenizer';

export interface EncodedBatch {
  prompt: tf.Tensor2D; // int32 [B, P]
  response: tf.Tensor2D; // int32 [B, R]
  examples: Example[];
}

export function encodeBatch(tokenizer: Tokenizer, examples: Example[]): EncodedBatch {
  const ids = examples.map((e) => e.ids ?? { prompt: tokenizer.encode(e.prompt), response: tokenizer.encode(e.response) });
  const P = ids[0]!.prompt.length;
  const R = ids[0]!.response.length;
  if (ids.some((e) => e.prompt.length !== P || e.response.length !== R)) {
    throw new Error('a batch must hold examples of one prompt length and one response length (in tokens)');
  }
  const B = examples.length;
  return { prompt: tf.tensor2d(ids.flatMap((e) => e.prompt), [B, P], 'int32'), response: tf.tensor2d(ids.flatMap((e) => e.response), [B, R], 'int32'), examples };
}

export function disposeBatch(b: EncodedBatch): void {
  tf.dispose([b.prompt, b.response]);
}

/** 1 at every response position up to and including the first `eosId`, else 0 (all 1 when eosId is −1). */
export function validMask(tokens: tf.Tensor2D, eosId: number): tf.Tensor2D {
  return tf.tidy(() => {
    const eos = tf.cast(tf.equal(tokens, eosId), 'float32'); // [B, R]
    return tf.cast(tf.equal(tf.cumsum(eos, 1, true), 0), 'float32') as tf.Tensor2D; // exclusive: EOS itself stays valid
  });
}
