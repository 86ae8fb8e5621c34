/**
 * Fused causal self-attention on WebGPU against the reference graph: the forward and the
 * gradients of q, k and v — as three tensors, and read out of the fused projection [B·T, 3C] with
 * its gradient written back into one — and through the whole model (so the layout, the heads and
 * the mask are checked as the transformer uses them), at edge shapes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { modelConfig } from '../../src/model/config';
import { FUSED, fusedAttention, fusedAttentionPacked, fusedHere, withKernels } from '../../src/model/fused';
import { Rng } from '../../src/model/rng';
import { forward, valueAndGrads } from '../../src/model/transformer';
import { randomIds, randomModel } from '../helpers';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

async function direct(set: 'fused' | 'reference', q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, w: tf.Tensor2D, T: number, H: number) {
  const [BT, C] = q.shape;
  const B = BT / T;
  const hd = C / H;
  const reference = (a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D) => {
    const heads = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]);
    const mask = tf.tensor2d(Array.from({ length: T * T }, (_, n) => (n % T > Math.floor(n / T) ? -1e9 : 0)), [T, T]);
    const att = tf.softmax(tf.add(tf.mul(tf.matMul(heads(a), heads(b), false, true), 1 / Math.sqrt(hd)), mask));
    return tf.reshape(tf.transpose(tf.matMul(att, heads(c)), [0, 2, 1, 3]), [BT, C]) as tf.Tensor2D;
  };
  const attend = set === 'fused' ? (a: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D) => fusedAttention(a, b, c, T, H) : reference;
  const outs = tf.tidy(() => {
    const y = attend(q, k, v);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attend(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D), w)))([q, k, v]);
    return [y, ...g];
  });
  const vals = await Promise.all(outs.map((t) => t.data()));
  tf.dispose(outs);
  return vals;
}

test.each([
  ['one position', 1, 1, 2, 8],
  ['B = 1, T = 70 (two blocks of 64 keys, a tile of 6 rows), 3 heads', 1, 70, 3, 24],
  ['B = 3, T = 9, hd = 1', 3, 9, 4, 4],
  ['B = 2, T = 5, hd = 300 (wider than a workgroup: two passes)', 2, 5, 1, 300],
])('fused attention = reference, forward and the three gradients: %s', async (_n, B, T, H, C) => {
  const rng = new Rng(B * 100 + T);
  const rand = () => tf.tensor2d(Array.from({ length: B * T * C }, () => 1.5 * rng.normal()), [B * T, C]);
  const [q, k, v, w] = [rand(), rand(), rand(), rand()];
  expect(fusedHere(FUSED.attention)).toBe(true);
  const ref = await direct('reference', q, k, v, w, T, H);
  const fused = await direct('fused', q, k, v, w, T, H);
  ['y', 'dq', 'dk', 'dv'].forEach((name, i) => expect(relErr(fused[i]!, ref[i]!), name).toBeLessThan(1e-4));
  // The same from the packed projection: y, and d qkv = [dq | dk | dv] by rows.
  const qkv = tf.concat([q, k, v], 1) as tf.Tensor2D; // [BT, 3C]
  const [y, dqkv] = tf.tidy(() => [fusedAttentionPacked(qkv, T, H), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(fusedAttentionPacked(x as tf.Tensor2D, T, H), w)))(qkv)]);
  expect(dqkv!.shape).toEqual([B * T, 3 * C]);
  expect(relErr(await y!.data(), ref[0]!), 'packed y').toBeLessThan(1e-4);
  const rows = await dqkv!.data();
  ['dq', 'dk', 'dv'].forEach((name, j) => {
    const part = Float32Array.from({ length: B * T * C }, (_, n) => rows[Math.floor(n / C) * 3 * C + j * C + (n % C)]!);
    expect(relErr(part, ref[j + 1]!), `packed ${name}`).toBeLessThan(1e-4);
  });
  tf.dispose([q, k, v, w, qkv, y!, dqkv!]);
});

test.each([
  ['LoRA on q, v: q, k, v split out', ['q', 'v', 'fc1'] as const],
  ['LoRA on o, fc2: attention on the projection as it is', ['o', 'fc2'] as const],
])('a model step with fused kernels gives the reference loss and gradients (%s)', async (_name, targets) => {
  const cfg = modelConfig({ vocabSize: 13, nLayer: 2, nHead: 2, dModel: 16, dFF: 32, nPositions: 12, contextLength: 12 });
  const model = randomModel(cfg, 3, { rank: 2, alpha: 4, targets: [...targets], dropout: 0 });
  const ids = randomIds(new Rng(4), 2, 11, 13);
  const names = Object.keys(model.lora!.tensors).concat(['h.0.ln1.weight', 'h.1.attn.qkv.weight', 'wte.weight']);
  const run = async (set: 'fused' | 'reference') =>
    withKernels(set, async () => {
      const { value, grads } = valueAndGrads(model, names, (m) => tf.mean(forward(m, ids).logits));
      const out = { loss: (await value.data())[0]!, grads: await Promise.all(names.map((n) => grads[n]!.data())) };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    });
  const ref = await run('reference');
  const fused = await run('fused');
  expect(Math.abs(fused.loss - ref.loss)).toBeLessThan(1e-5);
  names.forEach((n, i) => expect(relErr(fused.grads[i]!, ref.grads[i]!), n).toBeLessThan(1e-4));
  tf.dispose([ids, ...Object.values(model.weights), ...Object.values(model.lora!.tensors)]);
});
