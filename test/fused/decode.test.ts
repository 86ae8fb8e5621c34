/**
 * Decoding with the preallocated, in-place KV cache and the one-query attention program on
 * WebGPU against the reference (a cache grown by concat, the generic attention graph): logits at
 * every position, generated tokens, edge lengths (a one-token prompt, up to the context length).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { takeGpuCounts } from '../../src/engine/gpu-counters';
import { modelConfig } from '../../src/model/config';
import { fusedDecoding, withKernels } from '../../src/model/fused';
import { generate } from '../../src/model/sampling';
import { type KVCache, decodingCache, disposeCache, forward } from '../../src/model/transformer';
import { ALL_TARGETS, randomModel } from '../helpers';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

const CFG = modelConfig({ vocabSize: 19, nLayer: 2, nHead: 4, dModel: 32, dFF: 64, nPositions: 16, contextLength: 16 });

/** Feeds `prompt`, then `ids` one at a time, with the given kernels; returns every step's last logits. */
async function decodeLogits(set: 'fused' | 'reference', prompt: number[][], ids: number[][]): Promise<Float32Array[]> {
  const model = randomModel(CFG, 5, ALL_TARGETS);
  const out: Float32Array[] = [];
  await withKernels(set, async () => {
    let cache: KVCache = decodingCache(prompt[0]!.length + ids.length);
    expect(cache.capacity !== undefined).toBe(set === 'fused');
    const feed = [prompt, ...ids.map((row) => row.map((t) => [t]))];
    for (const rows of feed) {
      const input = tf.tensor2d(rows, undefined, 'int32');
      const c = cache;
      const r = tf.tidy(() => {
        const o = forward(model, input, { cache: c });
        return { logits: o.logits, keys: o.cache!.keys, values: o.cache!.values };
      });
      disposeCache(cache);
      cache = { keys: r.keys, values: r.values, length: c.length + rows[0]!.length, capacity: c.capacity };
      const [B, T, V] = r.logits.shape;
      const last = tf.slice(r.logits, [0, T - 1, 0], [B, 1, V]); // [B, 1, V]
      out.push((await last.data()) as Float32Array);
      tf.dispose([input, r.logits, last]);
    }
    disposeCache(cache);
  });
  tf.dispose([...Object.values(model.weights), ...Object.values(model.lora!.tensors)]);
  return out;
}

test.each([
  ['B = 1, one-token prompt, up to the context length', [[3]], Array.from({ length: 15 }, (_, i) => [(i * 7) % 19])],
  ['B = 3, prompt of 4', [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], Array.from({ length: 6 }, (_, i) => [i, (i + 5) % 19, (i * 3) % 19])],
])('cached decoding gives the reference logits: %s', async (_name, prompt, ids) => {
  expect(withKernels('fused', () => fusedDecoding(16))).toBe(true);
  const ref = await decodeLogits('reference', prompt, ids);
  const before = tf.memory().numTensors;
  const fused = await decodeLogits('fused', prompt, ids);
  expect(tf.memory().numTensors, 'the in-place cache frees what it made').toBe(before);
  expect(fused.length).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) expect(relErr(fused[i]!, ref[i]!), `position ${i}`).toBeLessThan(1e-4);
});

test('generate: the same tokens, greedy and sampled, and fewer dispatches per token', async () => {
  const model = randomModel(CFG, 9, ALL_TARGETS);
  const prompt = tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32');
  for (const o of [{ greedy: true, temperature: 1, topK: 0, topP: 1 }, { greedy: false, temperature: 0.9, topK: 0, topP: 1 }]) {
    const run = async (set: 'fused' | 'reference') => {
      takeGpuCounts();
      const t = withKernels(set, () => generate(model, prompt, 8, o, 4));
      const dispatches = takeGpuCounts().dispatches;
      const v = Array.from(await t.data());
      t.dispose();
      return { v, dispatches };
    };
    const ref = await run('reference');
    const fused = await run('fused');
    expect(fused.v).toEqual(ref.v);
    expect(fused.dispatches).toBeLessThan(ref.dispatches * 0.75);
  }
  tf.dispose([prompt, ...Object.values(model.weights), ...Object.values(model.lora!.tensors)]);
});
