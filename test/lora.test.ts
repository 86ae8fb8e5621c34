/** LoRA: merged forward equals unmerged; B = 0 changes nothing; parameter counts. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { DEFAULT_LORA } from '../src/model/config';
import { countLoraParams, disposeReplaced, initLora, loraDelta, loraSpecs, mergeLora, unmergeLora } from '../src/model/lora';
import { countParams, initWeights, paramSpecs } from '../src/model/params';
import { Rng } from '../src/model/rng';
import { forward } from '../src/model/transformer';
import { ALL_TARGETS, maxAbsDiff, randomIds, randomModel, randomize, tinyConfig, values } from './helpers';

describe('LoRA', () => {
  test('the update is (α/r)·x·A·B, by hand: α = 6, r = 2 scales by 3', async () => {
    const cfg = tinyConfig(); // dModel 8
    const lora = initLora(cfg, { rank: 2, alpha: 6, targets: ['q'], dropout: 0 }, 1);
    const A = Array.from({ length: 16 }, (_, i) => (i % 3) - 1); // [8, 2]
    const B = Array.from({ length: 16 }, (_, i) => ((i * 5) % 7) / 7); // [2, 8]
    tf.dispose([lora.tensors['h.0.attn.q.lora_A']!, lora.tensors['h.0.attn.q.lora_B']!]);
    lora.tensors['h.0.attn.q.lora_A'] = tf.tensor2d(A, [8, 2]);
    lora.tensors['h.0.attn.q.lora_B'] = tf.tensor2d(B, [2, 8]);
    const x = Array.from({ length: 8 }, (_, i) => i + 1); // one row
    const xa = [0, 1].map((r) => x.reduce((acc, xi, i) => acc + xi * A[i * 2 + r]!, 0)); // x·A
    const expected = Array.from({ length: 8 }, (_, j) => 3 * (xa[0]! * B[j]! + xa[1]! * B[8 + j]!));
    const got = await values(loraDelta(lora, 0, 'q', tf.tensor2d(x, [1, 8]))!);
    got.forEach((g, j) => expect(g).toBeCloseTo(expected[j]!, 4));
    tf.dispose(Object.values(lora.tensors));
  });

  test('with B = 0 the adapted model equals the base model exactly', async () => {
    const cfg = tinyConfig();
    const base = { config: cfg, weights: randomize(initWeights(cfg, 1), 2), lora: null };
    const adapted = { ...base, lora: initLora(cfg, ALL_TARGETS, 3) };
    const ids = randomIds(new Rng(4), 2, 7, cfg.vocabSize);
    const a = await values(forward(base, ids).logits);
    const b = await values(forward(adapted, ids).logits);
    expect(maxAbsDiff(a, b)).toBe(0);
  });

  test('merged forward equals unmerged (every target), and unmerge restores the base', async () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 5, ALL_TARGETS);
    const ids = randomIds(new Rng(6), 2, 9, cfg.vocabSize);
    const unmerged = await values(forward(model, ids).logits);
    const m = mergeLora(cfg, model.weights, model.lora!);
    const merged = await values(forward({ config: cfg, weights: m.weights, lora: m.adapters }, ids).logits);
    const diff = maxAbsDiff(unmerged, merged);
    console.log(`LoRA merged vs unmerged: max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
    // A merged model ignores its adapters; without the merge the logits differ from the base.
    const baseOnly = await values(forward({ ...model, lora: null }, ids).logits);
    expect(maxAbsDiff(baseOnly, unmerged)).toBeGreaterThan(1e-2);
    const u = unmergeLora(cfg, m.weights, m.adapters);
    for (const name of Object.keys(model.weights)) {
      expect(maxAbsDiff(await values(u.weights[name]!), await values(model.weights[name]!)), name).toBeLessThan(1e-6);
    }
    disposeReplaced(m.weights, u.weights);
    expect(() => mergeLora(cfg, m.weights, m.adapters)).toThrow(/already merged/);
  });

  test('only A and B are added; counts follow r·(in + out) per adapted matrix', () => {
    const cfg = tinyConfig({ dModel: 16, dFF: 64 });
    const lora = { ...DEFAULT_LORA, rank: 4 }; // q, v
    expect(countLoraParams(cfg, lora)).toBe(cfg.nLayer * 2 * 4 * (16 + 16));
    const all = { ...lora, targets: ALL_TARGETS.targets };
    // q,k,v,o: 4·r·(C + C); fc1: r·(C + F); fc2: r·(F + C)
    expect(countLoraParams(cfg, all)).toBe(cfg.nLayer * 4 * (4 * 32 + 2 * 80));
    const specs = loraSpecs(cfg, lora);
    expect(specs.find((s) => s.name === 'h.0.attn.q.lora_A')!.shape).toEqual([16, 4]);
    expect(specs.find((s) => s.name === 'h.1.attn.v.lora_B')!.shape).toEqual([4, 16]);
    // Base count: embeddings + per block (2 LN + qkv + o + fc1 + fc2) + final LN.
    const C = 16, F = 64;
    expect(countParams(paramSpecs(cfg))).toBe(11 * C + 12 * C + cfg.nLayer * (4 * C + 3 * C * C + C * C + 2 * C * F) + 2 * C);
  });

  test('dropout on the adapter input acts only when a seed is given', async () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 7, { ...ALL_TARGETS, dropout: 0.5 });
    const ids = randomIds(new Rng(8), 1, 6, cfg.vocabSize);
    const evalA = await values(forward(model, ids).logits);
    const evalB = await values(forward(model, ids).logits);
    const trainA = await values(forward(model, ids, { dropoutSeed: 1 }).logits);
    const trainA2 = await values(forward(model, ids, { dropoutSeed: 1 }).logits);
    expect(maxAbsDiff(evalA, evalB)).toBe(0);
    expect(maxAbsDiff(evalA, trainA)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(trainA, trainA2)).toBe(0);
    tf.disposeVariables();
  });
});
