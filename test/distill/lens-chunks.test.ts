/**
 * Lens divergences a chunk of rows at a time: the same values and gradients as the whole-tensor
 * path (student blocks and trained head tensors), a gradient through them inside an outer one, and
 * a smaller peak.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { layerDivergences } from '../../src/distill/layers';
import { HEAD_WEIGHTS, lensChunkRows } from '../../src/distill/lens-chunks';
import type { DivergenceOptions } from '../../src/model/losses';
import { type Transformer, forward, valueAndGrads } from '../../src/model/transformer';
import { randomModel, tinyConfig } from '../helpers';

const cfg = tinyConfig({ vocabSize: 37, nLayer: 2 });
const teacher = randomModel(tinyConfig({ vocabSize: 37, nLayer: 4 }), 21);
const student = randomModel(cfg, 22);
const ids = tf.tensor2d([[1, 5, 9, 2, 30, 7], [3, 3, 8, 36, 0, 4]], undefined, 'int32'); // [2, 6]: 12 positions
const tHidden = forward(teacher, ids, { returnHidden: true }).hidden!;
const trained = ['h.0.mlp.fc1.weight', 'h.1.attn.qkv.weight', ...HEAD_WEIGHTS];
// A weighting of the positions and layers, so that a wrong row or layer in the gradient shows.
const weighting = tf.randomUniform([2, 2, 6], 0.5, 1.5, 'float32', 5);

/** Σ weighting·(loss + gate) and its gradients, through `rows` rows at a time (12: one piece, the whole-tensor path). */
function measure(rows: number, o: DivergenceOptions, gateOpts: DivergenceOptions = o) {
  let values: tf.Tensor[] = [];
  const { value, grads } = valueAndGrads(student, trained, (m: Transformer) => {
    const h = forward(m, ids, { returnHidden: true }).hidden!;
    const D = layerDivergences(m, h, teacher, tHidden, o, gateOpts, { rows, trainedHead: HEAD_WEIGHTS });
    values = [tf.keep(D.loss), tf.keep(D.gate)];
    return tf.sum(tf.mul(tf.add(D.loss, D.gate), weighting)) as tf.Scalar;
  });
  return { value: value.dataSync()[0]!, loss: values[0]!.dataSync(), gate: values[1]!.dataSync(), grads };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  expect(a.length, what).toBe(b.length);
  const scale = Math.max(...Array.from(b, Math.abs), 1e-6);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!) / scale, `${what}[${i}]`).toBeLessThan(2e-5);
};

describe('lens divergences in chunks of rows', () => {
  test('rows per chunk: 20 at GPT-2’s vocabulary, never 0', () => {
    expect(lensChunkRows(50_257)).toBe(20);
    expect(lensChunkRows(10_000_000)).toBe(1);
  });
  for (const [o, gate] of [
    [{ kind: 'fkl' }, { kind: 'fkl' }],
    [{ kind: 'gjsd', beta: 0.3, temperature: 2 }, { kind: 'jsd' }],
  ] as [DivergenceOptions, DivergenceOptions][]) {
    test(`${o.kind} (gate ${gate.kind}): chunks of 5 and of 1 row give the whole path's values and gradients`, () => {
      const whole = measure(12, o, gate);
      for (const rows of [5, 1]) {
        const part = measure(rows, o, gate);
        close(part.loss, whole.loss, `loss D, ${rows} rows`);
        close(part.gate, whole.gate, `gate, ${rows} rows`);
        close([part.value], [whole.value], `value, ${rows} rows`);
        for (const n of trained) close(part.grads[n]!.dataSync(), whole.grads[n]!.dataSync(), `d/d ${n}, ${rows} rows`);
      }
    });
  }
  test('a head that is not trained gets no gradient term, and the blocks’ gradients stay', () => {
    const o: DivergenceOptions = { kind: 'rkl' };
    const grad = (rows: number) =>
      valueAndGrads(student, ['h.0.mlp.fc1.weight'], (m) => {
        const D = layerDivergences(m, forward(m, ids, { returnHidden: true }).hidden!, teacher, tHidden, o, o, { rows });
        return tf.sum(tf.mul(D.loss, weighting)) as tf.Scalar;
      }).grads['h.0.mlp.fc1.weight']!.dataSync();
    close(grad(4), grad(12), 'd/d h.0.mlp.fc1.weight');
  });
  test('without the layer term, the inner layers are measured alone: the same values, the output’s gradient, none through them', () => {
    const o: DivergenceOptions = { kind: 'fkl' };
    const name = 'h.0.mlp.fc1.weight';
    const at = (rows: number, layerTerm: boolean, layer: number) => {
      let D!: Float32Array | Int32Array | Uint8Array;
      const { grads } = valueAndGrads(student, [name], (m) => {
        const all = layerDivergences(m, forward(m, ids, { returnHidden: true }).hidden!, teacher, tHidden, o, o, { rows, layerTerm }).loss;
        D = all.dataSync();
        return tf.sum(tf.mul(tf.gather(all, [layer]), tf.slice(weighting, [layer, 0, 0], [1, 2, 6]))) as tf.Scalar;
      });
      return { D, grad: grads[name]!.dataSync() };
    };
    for (const rows of [12, 5]) {
      const on = at(rows, true, 1);
      const off = at(rows, false, 1);
      close(off.D, on.D, `D, ${rows} rows`);
      close(off.grad, on.grad, `d output / d ${name}, ${rows} rows`);
      expect(Math.max(...Array.from(at(rows, false, 0).grad, Math.abs)), `d layer 1 / d ${name}, ${rows} rows`).toBe(0);
      expect(Math.max(...Array.from(at(rows, true, 0).grad, Math.abs))).toBeGreaterThan(0);
    }
  });
  test('the peak of a step’s lens term falls with the chunk', async () => {
    const big = tinyConfig({ vocabSize: 4096, nLayer: 2 });
    const s = randomModel(big, 3);
    const t = randomModel(big, 4);
    const x = tf.tensor2d([Array.from({ length: 12 }, (_, i) => (i * 97) % 4096), Array.from({ length: 12 }, (_, i) => (i * 31) % 4096)], undefined, 'int32');
    const th = forward(t, x, { returnHidden: true }).hidden!;
    const peak = async (rows: number) =>
      -tf.memory().numBytes + // tf.profile's peak counts what exists before
      (
        await tf.profile(() => {
          const r = valueAndGrads(s, ['h.0.mlp.fc1.weight'], (m) => tf.sum(layerDivergences(m, forward(m, x, { returnHidden: true }).hidden!, t, th, { kind: 'jsd' }, { kind: 'jsd' }, { rows }).loss) as tf.Scalar);
          tf.dispose([r.value, ...Object.values(r.grads)]);
        })
      ).peakBytes;
    const whole = await peak(24);
    const chunked = await peak(2);
    // The whole path keeps ~16 [24, 4096] tensors per layer (12.6 MB); two rows at a time keep a twelfth of that.
    expect(chunked).toBeLessThan(whole / 4);
  });
});
