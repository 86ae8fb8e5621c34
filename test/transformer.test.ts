/** The transformer: config validation, shapes, logit lens, KV-cache decoding, id checks. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { ConfigError, modelConfig, validateLoraConfig, validateModelConfig } from '../src/model/config';
import { Rng } from '../src/model/rng';
import { type KVCache, checkTokenIds, disposeCache, emptyCache, forward, logitLens } from '../src/model/transformer';
import { ALL_TARGETS, maxAbsDiff, randomIds, randomModel, tinyConfig, values } from './helpers';

describe('config validation names the field', () => {
  const ok = tinyConfig();
  const bad: [string, object, RegExp][] = [
    ['zero vocab', { vocabSize: 0 }, /^vocabSize:/],
    ['negative layers', { nLayer: -1 }, /^nLayer:/],
    ['fractional width', { dModel: 7.5 }, /^dModel:/],
    ['heads not dividing width', { nHead: 3 }, /^nHead: 3 heads do not divide dModel 8/],
    ['context beyond the position table', { contextLength: 13 }, /^contextLength: 13 is longer than the position table/],
    ['zero MLP width', { dFF: 0 }, /^dFF:/],
    ['bad eps', { layerNormEps: -1 }, /^layerNormEps:/],
  ];
  for (const [what, patch, msg] of bad) {
    test(what, () => {
      expect(() => validateModelConfig({ ...ok, ...patch })).toThrow(ConfigError);
      expect(() => validateModelConfig({ ...ok, ...patch })).toThrow(msg);
    });
  }
  test('modelConfig fills defaults', () => {
    const c = modelConfig({ vocabSize: 5, nLayer: 1, nHead: 1, dModel: 4, nPositions: 16 });
    expect(c.dFF).toBe(16);
    expect(c.contextLength).toBe(16);
  });
  test('LoRA config', () => {
    expect(() => validateLoraConfig({ ...ALL_TARGETS, targets: ['q', 'x' as 'q'] })).toThrow(/^lora.targets: unknown target "x"/);
    expect(() => validateLoraConfig({ ...ALL_TARGETS, targets: [] })).toThrow(/^lora.targets:/);
    expect(() => validateLoraConfig({ ...ALL_TARGETS, rank: 0 })).toThrow(/^lora.rank:/);
    expect(() => validateLoraConfig({ ...ALL_TARGETS, alpha: -2 })).toThrow(/^lora.alpha:/);
    expect(() => validateLoraConfig({ ...ALL_TARGETS, dropout: 1 })).toThrow(/^lora.dropout:/);
    expect(() => validateLoraConfig(ALL_TARGETS)).not.toThrow();
  });
});

describe('forward pass', () => {
  test('shapes, hidden states and logit lens', () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 1);
    const ids = randomIds(new Rng(1), 3, 5, cfg.vocabSize);
    const r = forward(model, ids, { returnHidden: true });
    expect(r.logits.shape).toEqual([3, 5, cfg.vocabSize]);
    expect(r.hidden!.map((h) => h.shape)).toEqual([[3, 5, 8], [3, 5, 8]]);
    const lens = logitLens(model, r.hidden!);
    expect(lens.map((l) => l.shape)).toEqual([[3, 5, 11], [3, 5, 11]]);
    // The last layer seen through the lens is the model's own output.
    expect(maxAbsDiff(lens[1]!.dataSync(), r.logits.dataSync())).toBe(0);
    expect(maxAbsDiff(lens[0]!.dataSync(), r.logits.dataSync())).toBeGreaterThan(1e-3);
  });

  test('causal: a later token does not change earlier logits', async () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 2);
    const a = tf.tensor2d([[1, 2, 3, 4]], undefined, 'int32');
    const b = tf.tensor2d([[1, 2, 3, 9]], undefined, 'int32');
    const la = await values(tf.slice(forward(model, a).logits, [0, 0, 0], [1, 3, 11]));
    const lb = await values(tf.slice(forward(model, b).logits, [0, 0, 0], [1, 3, 11]));
    expect(maxAbsDiff(la, lb)).toBeLessThan(1e-6);
  });

  test('logitsFrom: the logits of the positions from there on, as the full forward gives them', async () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 6, ALL_TARGETS);
    const ids = randomIds(new Rng(6), 3, 7, cfg.vocabSize);
    const full = forward(model, ids).logits; // [3, 7, V]
    for (const from of [6, 2]) {
      const part = forward(model, ids, { logitsFrom: from }).logits;
      expect(part.shape).toEqual([3, 7 - from, cfg.vocabSize]);
      const ref = tf.slice(full, [0, from, 0], [3, 7 - from, cfg.vocabSize]);
      expect(maxAbsDiff(await values(part), await values(ref))).toBeLessThan(1e-6);
    }
    expect(() => forward(model, ids, { logitsFrom: 7 })).toThrow(/logits from position 7 of 7/);
    const headT = tf.transpose(model.weights['wte.weight']!) as tf.Tensor2D; // [C, V], as a decoder on wasm holds it
    const viaT = forward(model, ids, { logitsFrom: 2, headT }).logits;
    expect(maxAbsDiff(await values(viaT), await values(tf.slice(full, [0, 2, 0], [3, 5, cfg.vocabSize])))).toBeLessThan(1e-6);
  });

  test('a forward frees what its blocks computed: what it leaves does not grow with the layers', () => {
    const left = (nLayer: number) => {
      const cfg = tinyConfig({ nLayer });
      const model = randomModel(cfg, 7);
      const ids = randomIds(new Rng(7), 2, 6, cfg.vocabSize);
      const before = tf.memory().numTensors;
      const r = forward(model, ids);
      const n = tf.memory().numTensors - before; // the logits, the embedding's and the head's temporaries
      r.logits.dispose();
      return n;
    };
    expect(left(4)).toBe(left(2)); // every block's temporaries kept until the caller's tidy: dozens more
  });

  test('refuses sequences beyond the context and ids outside the vocabulary', () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 3);
    expect(() => forward(model, tf.zeros([1, 13], 'int32') as tf.Tensor2D)).toThrow(/exceed the context length 12/);
    expect(() => checkTokenIds([1, 2, 11], 11)).toThrow(/token id 11 at index 2 is outside the vocabulary/);
    expect(() => checkTokenIds([0, -1], 11)).toThrow(/-1/);
    expect(() => checkTokenIds([0, 10], 11)).not.toThrow();
  });
});

describe('KV-cache decoding', () => {
  for (const withLora of [false, true]) {
    test(`gives the full forward's logits at every position${withLora ? ' (with LoRA)' : ''}`, async () => {
      const cfg = tinyConfig();
      const model = randomModel(cfg, 4, withLora ? ALL_TARGETS : undefined);
      const ids = randomIds(new Rng(5), 2, 10, cfg.vocabSize);
      const full = forward(model, ids).logits; // [2, 10, V]
      // Prefill 3 positions, then one at a time.
      let cache: KVCache = emptyCache();
      let worst = 0;
      const chunks: [number, number][] = [[0, 3], ...Array.from({ length: 7 }, (_, i): [number, number] => [3 + i, 1])];
      for (const [start, len] of chunks) {
        const r = forward(model, tf.slice(ids, [0, start], [2, len]), { cache });
        disposeCache(cache);
        cache = r.cache!;
        expect(cache.length).toBe(start + len);
        const ref = tf.slice(full, [0, start, 0], [2, len, cfg.vocabSize]);
        worst = Math.max(worst, maxAbsDiff(await values(r.logits), await values(ref)));
      }
      console.log(`KV cache vs full forward${withLora ? ' (LoRA)' : ''}: max abs diff ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
      expect(() => forward(model, tf.zeros([2, 3], 'int32') as tf.Tensor2D, { cache })).toThrow(/context length/);
    });
  }
});
