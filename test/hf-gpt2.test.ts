/**
 * GPT-2 in Hugging Face's layout: a random GPT-2 folder (config.json + model.safetensors with
 * transformers' names, F32 or F16, with or without the `transformer.` prefix, with the old causal
 * mask buffers) imports into the engine, whose logits match a plain-JavaScript GPT-2
 * (test/ref-gpt2.ts); export and import again give the same model; what does not fit is refused
 * with a message naming it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { CheckpointError, decodeSafetensors, encodeSafetensors } from '../src/model/checkpoint';
import { exportGpt2, importGpt2 } from '../src/model/hf-gpt2';
import { forward } from '../src/model/transformer';
import { randomModel, tinyConfig } from './helpers';
import { HF_CFG, configJson, encodeAs, hfShapes, randomHf } from './hf-folder';
import { refGpt2 } from './ref-gpt2';

const CFG = HF_CFG;
const CONFIG_JSON = configJson(HF_CFG);

function file(w: Record<string, Float32Array>, o: { prefix?: boolean; f16?: boolean; extra?: Record<string, { shape: number[]; data: Float32Array }> } = {}): Uint8Array {
  const shapes = hfShapes();
  const tensors = Object.fromEntries(Object.entries(w).map(([n, data]) => [`${o.prefix ? 'transformer.' : ''}${n}`, { shape: shapes[n]!, data }]));
  Object.assign(tensors, o.extra ?? {});
  return encodeAs(tensors, o.f16 ? 'F16' : 'F32');
}

async function engineLogits(configJson: string, bytes: Uint8Array, ids: number[]): Promise<number[][]> {
  const m = importGpt2(configJson, bytes);
  const out = tf.tidy(() => forward(m, tf.tensor2d([ids], undefined, 'int32')).logits);
  const v = (await out.array())[0]!;
  tf.dispose([out, ...Object.values(m.weights)]);
  return v;
}

describe('GPT-2 import', () => {
  const ids = [3, 1, 4, 1, 5, 9, 2];
  test.each([
    ['F32, no prefix', {}],
    ['F16, transformer. prefix, causal-mask buffers and a tied lm_head', { f16: true, prefix: true, mask: true }],
  ])('logits match a plain-JavaScript GPT-2: %s', async (_n, o: { f16?: boolean; prefix?: boolean; mask?: boolean }) => {
    const w = randomHf(1);
    const extra: Record<string, { shape: number[]; data: Float32Array }> = o.mask ? { 'transformer.h.0.attn.bias': { shape: [1, 1, CFG.P, CFG.P], data: new Float32Array(CFG.P * CFG.P).fill(1) }, 'lm_head.weight': { shape: [CFG.V, CFG.C], data: w['wte.weight']! } } : {};
    const got = await engineLogits(JSON.stringify(CONFIG_JSON), file(w, { ...o, extra }), ids);
    const want = refGpt2(w, { nLayer: CFG.nLayer, nHead: CFG.nHead, C: CFG.C, F: CFG.F, V: CFG.V, eps: CFG.eps }, ids);
    let worst = 0;
    got.forEach((row, t) => row.forEach((x, v) => (worst = Math.max(worst, Math.abs(x - want[t]![v]!) / (1 + Math.abs(want[t]![v]!))))));
    expect(worst).toBeLessThan(1e-4);
  });

  test.each([
    ['another model_type', { ...CONFIG_JSON, model_type: 'llama' }, null, /model_type "llama" is not supported/],
    ['another activation', { ...CONFIG_JSON, activation_function: 'relu' }, null, /activation_function "relu" is not supported/],
    ['a missing tensor', CONFIG_JSON, (w: Record<string, Float32Array>) => delete w['h.1.mlp.c_fc.bias'], /has no h\.1\.mlp\.c_fc\.bias/],
    ['a mis-shaped tensor', { ...CONFIG_JSON, n_inner: 16 }, null, /h\.0\.mlp\.c_fc\.weight has shape \[8,32\], config\.json says \[8,16\]/],
    ['more layers than the config', { ...CONFIG_JSON, n_layer: 1 }, null, /tensors a GPT-2 does not: h\.1\./],
  ] as const)('refuses %s, naming it', (_n, config, edit, message) => {
    const w = randomHf(2);
    if (edit) edit(w);
    expect(() => importGpt2(JSON.stringify(config), file(w))).toThrow(CheckpointError);
    expect(() => importGpt2(JSON.stringify(config), file(w))).toThrow(message);
  });

  test('refuses an untied LM head and a config that is not JSON', () => {
    const w = randomHf(3);
    const other = { 'lm_head.weight': { shape: [CFG.V, CFG.C], data: w['wte.weight']!.map((x) => x + 1) } };
    expect(() => importGpt2(JSON.stringify(CONFIG_JSON), file(w, { extra: other }))).toThrow(/untied LM head is not supported/);
    expect(() => importGpt2('{"model_type": gpt2', file(w))).toThrow(/config\.json is not valid JSON/);
  });
});

describe('GPT-2 export', () => {
  test('an imported model exports to the same file contents, and its config reads back', async () => {
    const w = randomHf(4);
    const m = importGpt2(JSON.stringify(CONFIG_JSON), file(w));
    const out = await exportGpt2(m);
    const back = decodeSafetensors(out.safetensors).tensors;
    for (const [n, data] of Object.entries(w)) expect(Array.from(back[n]!.data), n).toEqual(Array.from(data));
    expect(JSON.parse(out.configJson)).toMatchObject({ model_type: 'gpt2', n_embd: 8, n_layer: 2, n_head: 2, n_inner: 32, activation_function: 'gelu_new' });
    tf.dispose(Object.values(m.weights));
  });

  test('our own model (no biases, LoRA) exports as a GPT-2 whose logits are its own', async () => {
    const cfg = tinyConfig();
    const own = randomModel(cfg, 5, { rank: 2, alpha: 4, targets: ['q', 'v', 'fc1'], dropout: 0 });
    const out = await exportGpt2(own);
    const back = importGpt2(out.configJson, out.safetensors);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5]], undefined, 'int32');
    const [a, b] = tf.tidy(() => [forward(own, ids).logits, forward(back, ids).logits]);
    const [va, vb] = [await a!.data(), await b!.data()];
    va.forEach((x, i) => expect(vb[i]).toBeCloseTo(x, 4));
    tf.dispose([a!, b!, ids, ...Object.values(own.weights), ...Object.values(own.lora!.tensors), ...Object.values(back.weights)]);
  });
});
