/**
 * The step's loss as a pure function, against values computed by hand: the output term (masked
 * mean, ×T²), the layer term (intermediate layers only, only where D ≥ τ, ×T²), cross-entropy on
 * gold batches only, the weights, and the mask that ends at the end mark.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { layerStats, stepLoss } from '../../src/distill/step-loss';

// Three student layers (the last is the output), one sequence of three positions; the third
// position lies after the end mark, so the mask drops it.
const D = () => tf.tensor3d([[[0.5, 2.0, 1.0]], [[3.0, 0.2, 1.5]], [[1.0, 2.0, 4.0]]]); // [L, B, T]
const MASK = () => tf.tensor2d([[1, 1, 0]]); // [B, T]
// Two-way logits: position 0 gives the target ½ (NLL ln 2), position 1 gives it ¾ (NLL ln 4/3),
// position 2 gives it e^-100 (NLL 100: it would dominate if the mask were ignored).
const LOGITS = () => tf.tensor3d([[[0, 0], [Math.log(3), 0], [0, 100]]]); // [B, T, V]
const TARGETS = () => tf.tensor2d([[0, 0, 0]], undefined, 'int32');
const CE = (Math.log(2) + Math.log(4 / 3)) / 2;
const W = { wOut: 0.5, wLayer: 0.1, alphaCe: 0.5, temperature: 2 };

async function terms(over: Partial<Parameters<typeof stepLoss>[0]>, w = W) {
  return tf.tidy(() => {
    const r = stepLoss({ divergence: D(), logits: LOGITS(), targets: TARGETS(), mask: MASK(), tau: tf.tensor1d([1, 1, 1]), gold: true, ...over }, w);
    return [r.loss, r.lossOut, r.lossLayer, r.lossCe].map((t) => t.dataSync()[0]!);
  });
}

describe('stepLoss', () => {
  test('distilling on gold data: every term by hand', async () => {
    const [loss, out, layer, ce] = await terms({});
    // Output term: T² · mean over kept positions of the last layer = 4 · (1 + 2)/2.
    expect(out).toBeCloseTo(6, 5);
    // Layer term: layers 0 and 1 only, where D ≥ 1 and kept: (2.0)/2 + (3.0)/2, times T².
    expect(layer).toBeCloseTo(4 * (1.0 + 1.5), 5);
    expect(ce).toBeCloseTo(CE, 5);
    expect(loss).toBeCloseTo(0.5 * 6 + 0.1 * 10 + 0.5 * CE, 5);
  });
  test('a rollout has no cross-entropy; without τ or weight the layer term is off', async () => {
    expect(await terms({ gold: false })).toEqual([expect.closeTo(4, 5), expect.closeTo(6, 5), expect.closeTo(10, 5), 0]);
    expect((await terms({ tau: null }))[2]).toBe(0);
    expect((await terms({}, { ...W, wLayer: 0 }))[2]).toBe(0);
    // τ above every divergence: nothing fires.
    expect((await terms({ tau: tf.tensor1d([3.5, 3.5, 3.5]) }))[2]).toBe(0);
  });
  test('τ per position: each position fires against its own threshold; the gate decides where, the loss divergence what', async () => {
    // τ = [∞, 0.1, ·]: position 0 never fires, position 1 fires in both inner layers.
    const [, , layer] = await terms({ tau: tf.tensor1d([Infinity, 0.1, 0]) }, { ...W, temperature: 1 });
    expect(layer).toBeCloseTo((2.0 + 0.2) / 2, 5);
    // A gate that is high only at position 0 of layer 1: the term is D there (3.0), not the gate's value.
    const gate = tf.tensor3d([[[0, 0, 9]], [[9, 0, 9]], [[9, 9, 9]]]);
    const [, , gated] = await terms({ gate, tau: tf.tensor1d([1, 1, 1]) }, { ...W, temperature: 1 });
    expect(gated).toBeCloseTo(3.0 / 2, 5);
  });
  test('T = 1 drops the T² factor; one layer has no layer term', async () => {
    const [, out, layer] = await terms({}, { ...W, temperature: 1 });
    expect(out).toBeCloseTo(1.5, 5);
    expect(layer).toBeCloseTo(2.5, 5);
    const single = await terms({ divergence: tf.tensor3d([[[1.0, 2.0, 4.0]]]) });
    expect(single[1]).toBeCloseTo(6, 5);
    expect(single[2]).toBe(0);
  });
  test('methods without a teacher: the loss is cross-entropy alone, whatever the weights', async () => {
    const [loss, out, layer, ce] = await terms({ divergence: null }, { ...W, alphaCe: 0.25 });
    expect([out, layer]).toEqual([0, 0]);
    expect(ce).toBeCloseTo(CE, 5);
    expect(loss).toBeCloseTo(CE, 5);
  });
});

test('layerStats: per layer, the mean divergence and the share of kept positions where D ≥ τ', () => {
  const [div, rate] = tf.tidy(() => {
    const d = D();
    const fired = tf.cast(tf.greaterEqual(d, 1), 'float32') as tf.Tensor3D;
    const s = layerStats(d, fired, MASK());
    return [Array.from(s.divergence.dataSync()), Array.from(s.rate.dataSync())];
  });
  expect(div.map((x) => Number(x.toFixed(5)))).toEqual([1.25, 1.6, 1.5]);
  expect(rate).toEqual([0.5, 0.5, 1]);
});
