/**
 * Finite-difference check of the gradient of a scalar loss with respect to every parameter
 * tensor of a tiny model, with and without LoRA on every target.
 *
 * Method: central differences along whole-tensor unit directions (the gradient direction and two
 * random directions in its orthant) at h = 1e-2 and 5e-3, Richardson-extrapolated; relative error |num − ana| / max(|num|, |ana|, 1e-4) < 1e-2.
 * The loss exercises every part: embeddings, LayerNorm, attention, GELU MLP, tied head, the logit
 * lens of every layer, cross-entropy and forward KL.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { crossEntropy, distillLoss } from '../src/model/losses';
import { Rng } from '../src/model/rng';
import { type Transformer, allParams, forward, logitLens, valueAndGrads, withParams } from '../src/model/transformer';
import { ALL_TARGETS, finiteDifferenceCheck, randomIds, randomModel, tinyConfig } from './helpers';

function makeLoss(model: Transformer) {
  const rng = new Rng(99);
  const cfg = model.config;
  const ids = randomIds(rng, 2, 6, cfg.vocabSize);
  const targets = randomIds(rng, 2, 6, cfg.vocabSize);
  const teacherLens = Array.from({ length: cfg.nLayer }, () => tf.tensor3d(rng.normalArray(2 * 6 * cfg.vocabSize, 2), [2, 6, cfg.vocabSize]));
  return (m: Transformer) => {
    const r = forward(m, ids, { returnHidden: true });
    const lens = logitLens(m, r.hidden!);
    let loss = crossEntropy(r.logits, targets);
    lens.forEach((l, i) => (loss = tf.add(loss, tf.mul(distillLoss(teacherLens[i]!, l, { kind: 'fkl' }), 0.5))));
    return loss;
  };
}

async function check(model: Transformer, names: string[], gradScale = 1) {
  const loss = makeLoss(model);
  const { grads } = valueAndGrads(model, names, loss);
  const params = allParams(model);
  return finiteDifferenceCheck((p) => loss(withParams(model, p)), params, grads, { gradScale });
}

describe('gradients match finite differences', () => {
  test('every base parameter, no LoRA', async () => {
    const model = randomModel(tinyConfig(), 1);
    const names = Object.keys(model.weights);
    const res = await check(model, names);
    const worst = res.reduce((a, b) => (b.relErr > a.relErr ? b : a));
    console.log(`base: ${names.length} tensors, ${res.length} directions, worst rel err ${worst.relErr.toExponential(2)} (${worst.name})`);
    for (const r of res) expect(r.relErr, `${r.name}: numeric ${r.numeric} vs analytic ${r.analytic}`).toBeLessThan(1e-2);
    expect(new Set(res.map((r) => r.name)).size).toBe(names.length);
    // Every tensor gets a non-zero gradient (else the check would be vacuous).
    for (const n of names) expect(res.find((r) => r.name === n)!.analytic, n).not.toBe(0);
  });

  test('a model with linear biases (as imported GPT-2s have): every parameter, the biases included', async () => {
    const model = randomModel(tinyConfig({ bias: true }), 4);
    // randomModel randomises every tensor, biases too: each carries signal.
    const names = Object.keys(model.weights);
    expect(names.filter((n) => n.endsWith('.bias') && /attn\.(qkv|o)|mlp\.fc[12]/.test(n))).toHaveLength(4 * model.config.nLayer);
    const res = await check(model, names);
    for (const r of res) expect(r.relErr, `${r.name}: numeric ${r.numeric} vs analytic ${r.analytic}`).toBeLessThan(1e-2);
    expect(new Set(res.map((r) => r.name)).size).toBe(names.length);
    for (const n of names) expect(res.find((r) => r.name === n)!.analytic, n).not.toBe(0);
  });

  test('every base and LoRA parameter, LoRA on q,k,v,o,fc1,fc2', async () => {
    const model = randomModel(tinyConfig(), 2, ALL_TARGETS);
    const names = Object.keys(allParams(model));
    const res = await check(model, names);
    const worst = res.reduce((a, b) => (b.relErr > a.relErr ? b : a));
    console.log(`lora: ${names.length} tensors, worst rel err ${worst.relErr.toExponential(2)} (${worst.name})`);
    for (const r of res) expect(r.relErr, `${r.name}: numeric ${r.numeric} vs analytic ${r.analytic}`).toBeLessThan(1e-2);
    expect(names.filter((n) => n.includes('lora_')).length).toBe(2 * 6 * 2);
  });

  test('the check detects a gradient that is 5% off', async () => {
    const model = randomModel(tinyConfig(), 3);
    const res = await check(model, ['h.0.attn.qkv.weight', 'wte.weight'], 1.05);
    expect(Math.max(...res.map((r) => r.relErr))).toBeGreaterThan(1e-2);
  });
});
