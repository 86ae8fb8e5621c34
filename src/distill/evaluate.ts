/**
 * Test-set quality of a model: greedy generation with the KV cache, scored on the CPU (ROUGE-L on
 * characters or words, exact match, accuracy by output position), and teacher-forced perplexity
 * on the gold responses. One readback per group of test examples.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tokenNll } from '../model/losses';
import { generate } from '../model/sampling';
import { type Transformer, forward } from '../model/transformer';
import type { DataSource } from '../data/source';
import type { EvalRecord } from '../protocol/records';
import { disposeBatch, encodeBatch } from './batch';
import { accuracyByPosition, chars, rougeL, words } from './metrics';

const GREEDY = { greedy: true, temperature: 1, topK: 0, topP: 1 };

/** Examples whose response logits are scored at once hold at most this many values per vocabulary-wide tensor. */
export const NLL_CHUNK_VALUES = 1 << 24;

/**
 * Σ −log p(response token) over a batch, teacher-forced: logits only for the response-predicting positions, and
 * as many examples at a time as keep each [b, R, V] tensor within NLL_CHUNK_VALUES (GPT-2's vocabulary: 5
 * examples of 64 tokens, where 16 at once held six 408 MB tensors).
 */
export function responseNll(model: Transformer, prompt: tf.Tensor2D, response: tf.Tensor2D, chunkValues = NLL_CHUNK_VALUES): tf.Scalar {
  const [B, P] = prompt.shape;
  const R = response.shape[1];
  const T = P + R - 1;
  const per = Math.max(1, Math.floor(chunkValues / (R * model.config.vocabSize)));
  return tf.tidy(() => {
    const seq = tf.concat([prompt, response], 1); // [B, P + R]
    const sums: tf.Scalar[] = [];
    for (let b0 = 0; b0 < B; b0 += per) {
      const b = Math.min(per, B - b0);
      sums.push(
        tf.tidy(() => {
          const logits = forward(model, tf.slice(seq, [b0, 0], [b, T]) as tf.Tensor2D, { logitsFrom: P - 1 }).logits; // [b, R, V]
          return tf.sum(tokenNll(logits, tf.slice(seq, [b0, P], [b, R]))); // Σ over [b, R]
        }),
      );
    }
    return sums.length === 1 ? sums[0]! : (tf.addN(sums) as tf.Scalar);
  });
}

/** Scores `model` on the data's test set (fixed by the preset, whatever the run's seeds); `done` is recorded with it. */
export async function evaluateModel(model: Transformer, data: DataSource, done: number, maxSamples = 4): Promise<EvalRecord> {
  const unit = data.rougeUnit === 'words' ? words : chars;
  let nll = 0;
  let nTok = 0;
  const byLength: EvalRecord['byLength'] = [];
  const pairsAll: { candidate: string; reference: string }[] = [];
  const pairsBeyond: { candidate: string; reference: string }[] = [];
  const samples: EvalRecord['samples'] = [];
  let rougeSum = 0;
  let emSum = 0;
  let count = 0;
  for (const g of data.testSet()) {
    const batch = encodeBatch(data.tokenizer, g.examples);
    const [B, P] = batch.prompt.shape;
    const R = batch.response.shape[1];
    const out = generate(model, batch.prompt, R, GREEDY, 0); // [B, R]
    const nllT = responseNll(model, batch.prompt, batch.response);
    const packed = tf.tidy(() => tf.concat([tf.reshape(tf.cast(out, 'float32'), [-1]), tf.reshape(nllT, [1])]));
    const v = await packed.data();
    tf.dispose([out, nllT, packed]);
    disposeBatch(batch);
    nll += v[B * R]!;
    nTok += B * R;
    let gr = 0;
    let ge = 0;
    g.examples.forEach((ex, i) => {
      const raw = data.tokenizer.decode(Array.from(v.subarray(i * R, (i + 1) * R)));
      const cut = data.eos === null ? -1 : raw.indexOf(data.eos);
      const candidate = cut >= 0 ? raw.slice(0, cut) : raw;
      const reference = data.eos === null ? ex.response : ex.response.slice(0, -1);
      gr += rougeL(unit(candidate), unit(reference));
      ge += candidate === reference ? 1 : 0;
      const pair = { candidate: raw, reference: ex.response };
      pairsAll.push(pair);
      if (g.beyondTraining) pairsBeyond.push(pair);
      if (samples.length < maxSamples && i === 0) samples.push({ prompt: ex.prompt, output: candidate, gold: reference });
    });
    byLength.push({ length: g.length, rougeL: gr / B, exactMatch: ge / B, beyondTraining: g.beyondTraining });
    rougeSum += gr;
    emSum += ge;
    count += B;
  }
  return {
    done,
    rougeL: rougeSum / count,
    exactMatch: emSum / count,
    perplexity: Math.exp(nll / nTok),
    byLength,
    accuracyByPositionBeyond: accuracyByPosition(pairsBeyond),
    accuracyByPosition: accuracyByPosition(pairsAll),
    samples,
  };
}
