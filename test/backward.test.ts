/**
 * The freeing reverse pass (src/model/backward.ts) against tfjs's own tf.valueAndGrads: the same value and
 * gradients bit for bit, through a real model and a deep chain, and a peak that does not grow with depth
 * beyond the gradients themselves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { valueAndGradsFreeing } from '../src/model/backward';
import { Rng } from '../src/model/rng';
import { allParams, forward, withParams } from '../src/model/transformer';
import { crossEntropy } from '../src/model/losses';
import { ALL_TARGETS, randomIds, randomModel, tinyConfig } from './helpers';

/** A chain of `depth` layers x ← tanh(x · w_i + x) (or x ← x + w_i: nothing saved), summed; its weights [n] each. */
function chain(depth: number, n: number, plain = false) {
  const ws = Array.from({ length: depth }, (_, i) => tf.fill([n], 0.5 + 0.01 * i));
  const x0 = tf.fill([n], 0.3);
  const layer = plain ? (x: tf.Tensor, w: tf.Tensor) => tf.add(x, w) : (x: tf.Tensor, w: tf.Tensor) => tf.tanh(tf.add(tf.mul(x, w), x));
  const f = (...w: tf.Tensor[]) => tf.sum(w.reduce(layer, x0)) as tf.Scalar;
  return { ws, x0, f };
}

test('the same value and gradients as tf.valueAndGrads, bit for bit: a GPT with LoRA, and a chain', async () => {
  const cfg = tinyConfig();
  const model = randomModel(cfg, 21, ALL_TARGETS);
  const ids = randomIds(new Rng(22), 2, 7, cfg.vocabSize);
  const params = allParams(model);
  const names = Object.keys(params).filter((n) => n.startsWith('lora') || n.includes('ln') || n === 'wte.weight');
  expect(names.length).toBeGreaterThan(5);
  const loss = (...xs: tf.Tensor[]) => {
    const m = withParams(model, Object.fromEntries(names.map((n, i) => [n, xs[i]!])));
    const logits = forward(m, tf.slice(ids, [0, 0], [2, 6]) as tf.Tensor2D).logits;
    return crossEntropy(logits, tf.slice(ids, [0, 1], [2, 6]));
  };
  const xs = names.map((n) => params[n]!);
  const ours = valueAndGradsFreeing(() => loss(...xs), xs);
  const theirs = tf.valueAndGrads(loss)(xs);
  expect(await ours.value.data()).toEqual(await theirs.value.data());
  for (const [i, n] of names.entries()) expect(await ours.grads[i]!.data(), n).toEqual(await theirs.grads[i]!.data());
  const c = chain(6, 16);
  const a = valueAndGradsFreeing(() => c.f(...c.ws), c.ws);
  const b = tf.valueAndGrads(c.f)(c.ws);
  for (let i = 0; i < 6; i++) expect(await a.grads[i]!.data()).toEqual(await b.grads[i]!.data());
  expect(() => valueAndGradsFreeing(() => tf.sum(c.x0) as tf.Scalar, c.ws)).toThrow(/Cannot compute gradient/);
});

test('a backward holds the gradients and a few temporaries, not every intermediate gradient as tfjs does', async () => {
  const n = 1 << 16; // 256 KiB a tensor
  /** What the backward adds to what exists when it starts (the forward's saved tensors), in tensors of [n]. */
  const backwardPeak = async (depth: number, how: 'ours' | 'theirs', plain = false) => {
    const c = chain(depth, n, plain);
    let out: { value: tf.Scalar; grads: tf.Tensor[] } | null = null;
    const info = await tf.profile(() => {
      out = how === 'ours' ? valueAndGradsFreeing(() => c.f(...c.ws), c.ws) : tf.valueAndGrads(c.f)(c.ws);
    });
    tf.dispose([...c.ws, c.x0, out!.value, ...out!.grads]);
    const first = info.kernels.map((k) => k.name).lastIndexOf('Sum') + 1; // the forward ends in its sum; its backward has none
    const start = info.kernels[first]!.totalBytesSnapshot - info.kernels[first]!.bytesAdded;
    const peak = Math.max(...info.kernels.slice(first).map((k) => k.totalBytesSnapshot));
    const end = info.kernels.at(-1)!.totalBytesSnapshot; // after the last kernel, before the backward's tidy closes
    return { peak: (peak - start) / (4 * n), end: (end - start) / (4 * n) };
  };
  const [a8, a16, b8, b16] = [await backwardPeak(8, 'ours'), await backwardPeak(16, 'ours'), await backwardPeak(8, 'theirs'), await backwardPeak(16, 'theirs')];
  const [o8, o16, t8, t16] = [a8.peak, a16.peak, b8.peak, b16.peak];
  console.log(`backward peak over its start, in tensors: ours ${o8.toFixed(1)} → ${o16.toFixed(1)}, tfjs ${t8.toFixed(1)} → ${t16.toFixed(1)} (depth 8 → 16)`);
  // Ours: what it frees (a layer's saved tensors, its outputs' gradients) outweighs each new weight gradient.
  // tfjs: about 5 more a layer.
  expect(o16).toBeLessThan(8);
  expect(o16).toBeLessThanOrEqual(o8 + 1);
  expect(t16).toBeGreaterThan(o16 + 32);
  // By its end ours holds less than at its start: per layer +1 weight gradient, −2 saved inputs, and the layer's
  // dy freed (kept, the level would stay flat); tfjs holds about 3 more a layer.
  const [p8, p16, q16] = [await backwardPeak(8, 'ours', true), await backwardPeak(16, 'ours', true), await backwardPeak(16, 'theirs', true)];
  console.log(`x + w, held at the end over the start: ours ${p8.end.toFixed(1)} → ${p16.end.toFixed(1)}, tfjs → ${q16.end.toFixed(1)}`);
  expect(p16.end - p8.end).toBeLessThanOrEqual(-8 * 0.9);
  expect(q16.end).toBeGreaterThan(p16.end + 32);
});
