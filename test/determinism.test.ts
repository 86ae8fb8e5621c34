/** Seeds: same seed → identical parameters and sampled tokens; another seed → different ones. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { initLora } from '../src/model/lora';
import { initWeights } from '../src/model/params';
import { Rng } from '../src/model/rng';
import { type SamplingOptions, filterLogits, generate, sampleTokens, samplingNoise } from '../src/model/sampling';
import { ALL_TARGETS, randomModel, tinyConfig, values } from './helpers';

const SAMPLE: SamplingOptions = { greedy: false, temperature: 1.5, topK: 0, topP: 1 };

async function flat(w: Record<string, tf.Tensor>): Promise<number[]> {
  const out: number[] = [];
  for (const k of Object.keys(w).sort()) out.push(...(await values(w[k]!)));
  return out;
}

describe('seeded initialisation', () => {
  test('same seed → identical parameters; another seed → different', async () => {
    const cfg = tinyConfig();
    const a = await flat(initWeights(cfg, 42));
    const b = await flat(initWeights(cfg, 42));
    const c = await flat(initWeights(cfg, 43));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const la = await flat(initLora(cfg, ALL_TARGETS, 1).tensors);
    expect(await flat(initLora(cfg, ALL_TARGETS, 1).tensors)).toEqual(la);
    expect(await flat(initLora(cfg, ALL_TARGETS, 2).tensors)).not.toEqual(la);
  });
  test('init statistics follow the GPT-2 scheme', async () => {
    const w = initWeights(tinyConfig({ dModel: 64, dFF: 256 }), 1);
    const v = await values(w['h.0.mlp.fc1.weight']!);
    const std = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    expect(Array.from(await values(w['lnf.weight']!)).every((x) => x === 1)).toBe(true);
  });
});

describe('sampling', () => {
  test('same seed → identical tokens; another seed → different', async () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 3);
    const prompt = tf.tensor2d([[1, 2, 3], [4, 5, 6]], undefined, 'int32');
    const a = Array.from(await generate(model, prompt, 8, SAMPLE, 7).data());
    const b = Array.from(await generate(model, prompt, 8, SAMPLE, 7).data());
    const c = Array.from(await generate(model, prompt, 8, SAMPLE, 8).data());
    expect(a.length).toBe(16);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(a.every((t) => t >= 0 && t < cfg.vocabSize)).toBe(true);
  });

  test('greedy generation follows the argmax of the full forward pass', async () => {
    const cfg = tinyConfig();
    const model = randomModel(cfg, 4, ALL_TARGETS);
    const prompt = tf.tensor2d([[1, 2]], undefined, 'int32');
    const toks = Array.from(await generate(model, prompt, 5, { ...SAMPLE, greedy: true }, 0).data());
    const { forward } = await import('../src/model/transformer');
    let seq = [1, 2];
    for (let i = 0; i < 5; i++) {
      const l = forward(model, tf.tensor2d([seq], undefined, 'int32')).logits;
      const last = Array.from(await values(tf.slice(l, [0, seq.length - 1, 0], [1, 1, cfg.vocabSize])));
      seq = [...seq, last.indexOf(Math.max(...last))];
    }
    expect(toks).toEqual(seq.slice(2));
  });

  test('sample frequencies follow softmax(logits / T)', async () => {
    const logits = tf.tensor2d([[0, 1, 2, -1]]);
    const probs = Array.from(await values(tf.softmax(tf.div(logits, 1.5))));
    const counts = [0, 0, 0, 0];
    const N = 4000;
    const noise = samplingNoise(new Rng(1), N, 1, 4);
    const toks = await sampleTokens(tf.tile(logits, [N, 1]) as tf.Tensor2D, SAMPLE, tf.reshape(noise, [N, 4]) as tf.Tensor2D).data();
    for (const t of toks) counts[t]!++;
    counts.forEach((c, i) => expect(Math.abs(c / N - probs[i]!)).toBeLessThan(0.03));
  });

  test('top-k and top-p keep exactly the intended tokens', async () => {
    const logits = tf.tensor2d([[Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]]);
    const kept = async (o: Partial<SamplingOptions>) =>
      Array.from(await values(filterLogits(logits, { ...SAMPLE, temperature: 1, ...o }))).map((x) => x > -1e8);
    expect(await kept({ topK: 2 })).toEqual([true, true, false, false]);
    expect(await kept({ topK: 1 })).toEqual([true, false, false, false]);
    expect(await kept({ topP: 0.5 })).toEqual([true, false, false, false]);
    expect(await kept({ topP: 0.6 })).toEqual([true, true, false, false]);
    expect(await kept({ topP: 0.9 })).toEqual([true, true, true, false]);
    expect(await kept({ topP: 1 })).toEqual([true, true, true, true]);
    const N = 500;
    const toks = await sampleTokens(tf.tile(logits, [N, 1]) as tf.Tensor2D, { ...SAMPLE, topK: 2 }, tf.reshape(samplingNoise(new Rng(2), N, 1, 4), [N, 4]) as tf.Tensor2D).data();
    expect(new Set(toks)).toEqual(new Set([0, 1]));
  });

  test('bad sampling options are refused', () => {
    const model = randomModel(tinyConfig(), 5);
    const p = tf.tensor2d([[1]], undefined, 'int32');
    expect(() => generate(model, p, 2, { ...SAMPLE, temperature: 0 }, 1)).toThrow(/temperature/);
    expect(() => generate(model, p, 2, { ...SAMPLE, topP: 0 }, 1)).toThrow(/topP/);
    expect(() => generate(model, p, 2, { ...SAMPLE, topK: 1.5 }, 1)).toThrow(/topK/);
    expect(() => generate(model, p, 20, SAMPLE, 1)).toThrow(/context length/);
  });
});
