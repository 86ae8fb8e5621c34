/**
 * Decoding with the fused decode programs (embed, one program per block with the KV cache in
 * place, head) on WebGPU against the reference decoder (the forward pass with a cache grown by
 * concat, the generic graph): logits at every position, with and without linear biases and LoRA
 * adapters, edge sizes (B = 1, a one-token prompt up to the context length, a vocabulary and
 * widths that are not multiples of the workgroup, heads of 16), token ids read from a float
 * column, generated tokens, and L + 2 dispatches per token.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { takeGpuCounts } from '../../src/engine/gpu-counters';
import { type ModelConfig, modelConfig } from '../../src/model/config';
import { makeDecoder } from '../../src/model/decoder';
import { withKernels } from '../../src/model/fused';
import { generate } from '../../src/model/sampling';
import type { Transformer } from '../../src/model/transformer';
import { ALL_TARGETS, randomModel } from '../helpers';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

const SMALL = modelConfig({ vocabSize: 19, nLayer: 2, nHead: 4, dModel: 32, dFF: 64, nPositions: 16, contextLength: 16 });
// 3C = 144 and F = 96 wrap the 64 threads; V = 67 needs two head workgroups per row; hd = 16.
const ODD = modelConfig({ vocabSize: 67, nLayer: 3, nHead: 3, dModel: 48, dFF: 96, nPositions: 12, contextLength: 12, bias: true });

/** Random weights, biases included (randomModel draws every tensor), and random adapters where asked. */
const model = (cfg: ModelConfig, seed: number, lora: boolean): Transformer => randomModel(cfg, seed, lora ? ALL_TARGETS : undefined);

function free(m: Transformer): void {
  tf.dispose([...Object.values(m.weights), ...Object.values(m.lora?.tensors ?? {})]);
}

/** Feeds `prompt`, then `ids` one column at a time (from a float32 tensor, as the rollout does), with the given kernels; every step's logits. */
async function decodeLogits(set: 'fused' | 'reference', m: Transformer, prompt: number[][], ids: number[][]): Promise<{ logits: Float32Array[]; fused: boolean; perToken: number[] }> {
  const logits: Float32Array[] = [];
  const perToken: number[] = [];
  let fused = false;
  await withKernels(set, async () => {
    const B = prompt.length;
    const P = prompt[0]!.length;
    const dec = makeDecoder(m, B, P, P + ids.length);
    fused = dec.fused;
    const p = tf.tensor2d(prompt, undefined, 'int32');
    const tokens = tf.tensor2d(prompt.map((_, b) => ids.flatMap((row) => [row[b]!, -1])), [B, 2 * ids.length]); // float32, ids in the even columns
    let l = dec.prefill(p);
    logits.push((await l.data()) as Float32Array);
    l.dispose();
    for (let i = 0; i < ids.length; i++) {
      takeGpuCounts();
      l = dec.next(tokens, 2 * i);
      perToken.push(takeGpuCounts().dispatches);
      logits.push((await l.data()) as Float32Array);
      l.dispose();
    }
    expect(dec.length).toBe(P + ids.length);
    expect(() => dec.next(tokens, 0), 'past its capacity').toThrow(/capacity|context/);
    dec.dispose();
    tf.dispose([p, tokens]);
  });
  return { logits, fused, perToken };
}

test.each([
  ['B = 1, one-token prompt, up to the context length, LoRA on every target', SMALL, true, [[3]], Array.from({ length: 15 }, (_, i) => [(i * 7) % 19])],
  ['B = 3, prompt of 4, no adapters', SMALL, false, [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], Array.from({ length: 6 }, (_, i) => [i, (i + 5) % 19, (i * 3) % 19])],
  ['biases, 3 heads of 16, V = 67, LoRA, prompt up to the context length', ODD, true, [[1, 60, 2, 66, 5, 6, 7, 8, 9, 10, 11], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], [[42, 17]]],
  ['biases, B = 2, prompt of 2', ODD, false, [[1, 2], [3, 4]], Array.from({ length: 9 }, (_, i) => [(i * 11) % 67, (i * 5 + 1) % 67])],
])('fused decoding gives the reference logits: %s', async (_name, cfg, lora, prompt, ids) => {
  const m = model(cfg, 5, lora);
  const ref = await decodeLogits('reference', m, prompt, ids);
  expect(ref.fused).toBe(false);
  const before = tf.memory().numTensors;
  const fused = await decodeLogits('fused', m, prompt, ids);
  expect(fused.fused).toBe(true);
  expect(tf.memory().numTensors, 'the decoder frees what it made').toBe(before);
  expect(fused.logits.length).toBe(ref.logits.length);
  for (let i = 0; i < ref.logits.length; i++) expect(relErr(fused.logits[i]!, ref.logits[i]!), `position ${i}`).toBeLessThan(1e-4);
  // embed, one program per block, head: what a token costs, whatever the model's size
  expect(new Set(fused.perToken)).toEqual(new Set([cfg.nLayer + 2]));
  free(m);
});

test('a prompt of another length than planned, and one past the context, are refused', () => {
  const m = model(SMALL, 3, false);
  withKernels('fused', () => {
    expect(() => makeDecoder(m, 1, 4, 17)).toThrow(/context length/);
    const dec = makeDecoder(m, 2, 3, 8);
    const p = tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32');
    expect(() => dec.prefill(p)).toThrow(/planned/);
    expect(() => dec.next(p)).toThrow(/prefill first/);
    p.dispose();
    dec.dispose();
  });
  free(m);
});

test('generate: the same tokens, greedy and sampled, and fewer dispatches', async () => {
  const m = model(SMALL, 9, true);
  const prompt = tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32');
  for (const o of [{ greedy: true, temperature: 1, topK: 0, topP: 1 }, { greedy: false, temperature: 0.9, topK: 0, topP: 1 }]) {
    const run = async (set: 'fused' | 'reference') => {
      takeGpuCounts();
      const t = withKernels(set, () => generate(m, prompt, 8, o, 4));
      const dispatches = takeGpuCounts().dispatches;
      const v = Array.from(await t.data());
      t.dispose();
      return { v, dispatches };
    };
    const ref = await run('reference');
    const fused = await run('fused');
    expect(fused.v).toEqual(ref.v);
    expect(fused.dispatches).toBeLessThan(ref.dispatches * 0.5);
  }
  prompt.dispose();
  free(m);
});
