/** No tensor leak: tf.memory().numTensors is flat across 20 training steps of the tiny model. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { crossEntropy } from '../src/model/losses';
import { initLora } from '../src/model/lora';
import { initWeights } from '../src/model/params';
import { Rng } from '../src/model/rng';
import { generate } from '../src/model/sampling';
import { type Transformer, forward, valueAndGrads } from '../src/model/transformer';
import { ALL_TARGETS, randomIds, tinyConfig } from './helpers';

test('20 LoRA training steps (forward, backward, Adam) and a generation leak no tensor', async () => {
  const before = tf.memory().numTensors;
  const cfg = tinyConfig();
  const model: Transformer = { config: cfg, weights: initWeights(cfg, 1), lora: initLora(cfg, { ...ALL_TARGETS, dropout: 0.1 }, 2) };
  const rng = new Rng(3);
  const ids = randomIds(rng, 4, 8, cfg.vocabSize);
  const targets = randomIds(rng, 4, 8, cfg.vocabSize);
  // The adapters are the trainable variables; the base weights stay plain tensors.
  for (const [n, t] of Object.entries(model.lora!.tensors)) {
    model.lora!.tensors[n] = tf.variable(t, true, `leak-test/${n}`);
    t.dispose();
  }
  const names = Object.keys(model.lora!.tensors);
  const opt = tf.train.adam(1e-2);
  const losses: number[] = [];
  const counts: number[] = [];
  for (let step = 0; step < 21; step++) {
    const loss = tf.tidy(() => {
      const { value, grads } = valueAndGrads(model, names, (m) => crossEntropy(forward(m, ids, { dropoutSeed: step }).logits, targets));
      opt.applyGradients(Object.fromEntries(names.map((n) => [`leak-test/${n}`, grads[n]!])) as unknown as Parameters<typeof opt.applyGradients>[0]);
      return value;
    });
    losses.push((await loss.data())[0]!);
    loss.dispose();
    counts.push(tf.memory().numTensors);
  }
  const prompt = tf.tensor2d([[1, 2]], undefined, 'int32');
  const gen = generate(model, prompt, 4, { greedy: false, temperature: 1, topK: 3, topP: 0.9 }, 5);
  await gen.data();
  gen.dispose();
  prompt.dispose();
  counts.push(tf.memory().numTensors);
  console.log(`numTensors after steps 1, 11, 21 and a generation: ${counts[0]}, ${counts[10]}, ${counts[20]}, ${counts[21]}`);
  // Step 1 creates the optimizer's state; from then on the count must not move.
  expect(new Set(counts).size).toBe(1);
  opt.dispose();
  for (const t of [...Object.values(model.weights), ...Object.values(model.lora!.tensors), ids, targets]) t.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
