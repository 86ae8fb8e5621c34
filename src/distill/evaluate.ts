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
    const nllT = tf.tidy(() => {
      const seq = tf.concat([batch.prompt, batch.response], 1); // [B, P + R]
      const T = P + R - 1;
      const logits = forward(model, tf.slice(seq, [0, 0], [B, T]) as tf.Tensor2D).logits; // [B, T, V]
      const nllAll = tokenNll(logits, tf.slice(seq, [0, 1], [B, T])); // [B, T]
      return tf.sum(tf.slice(nllAll, [0, P - 1], [B, R]));
    });
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
