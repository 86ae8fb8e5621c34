/**
 * The LoRA adapter as a PEFT adapter folder: PEFT's own rule for GPT-2's Conv1D (fan_in_fan_out:
 * W += (B·A)ᵀ·alpha/r, rank and alpha per module from rank_pattern / alpha_pattern, modules matched
 * by name suffix), written out here independently, applied to the exported base GPT-2, gives the
 * exported merged model exactly — for q+v (one block-structured adapter on c_attn), all six
 * targets, and a single target.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { decodeSafetensors } from '../src/model/checkpoint';
import type { LoraTarget } from '../src/model/config';
import { exportGpt2, importGpt2 } from '../src/model/hf-gpt2';
import { applyPeftAdapter, exportPeftAdapter } from '../src/model/hf-peft';
import { forward } from '../src/model/transformer';
import { randomModel, tinyConfig } from './helpers';
import { type PeftConfig, peftMerge } from './ref-peft';

test.each<[string, LoraTarget[]]>([
  ['q and v (block-structured on c_attn)', ['q', 'v']],
  ['all six targets', ['q', 'k', 'v', 'o', 'fc1', 'fc2']],
  ['v alone', ['v']],
])('the PEFT adapter of %s applied to the exported base is the exported merged model', async (_n, targets) => {
  const model = randomModel(tinyConfig(), 11, { rank: 2, alpha: 6, targets, dropout: 0 });
  const adapter = await exportPeftAdapter(model);
  const cfg = JSON.parse(adapter.configJson) as PeftConfig;
  const base = decodeSafetensors((await exportGpt2({ ...model, lora: null })).safetensors).tensors;
  const merged = decodeSafetensors((await exportGpt2(model)).safetensors).tensors;
  const peft = peftMerge(base, cfg, decodeSafetensors(adapter.safetensors).tensors);
  for (const [name, t] of Object.entries(merged)) {
    const got = peft[name]!.data;
    let worst = 0;
    t.data.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - got[i]!))));
    expect(worst, name).toBeLessThan(1e-5);
  }
  // Something did change: the adapter is not zero.
  expect(Object.keys(merged).some((n) => merged[n]!.data.some((x, i) => Math.abs(x - base[n]!.data[i]!) > 1e-3))).toBe(true);
  tf.dispose([...Object.values(model.weights), ...Object.values(model.lora!.tensors)]);
});

test('applying the exported PEFT adapter to the exported base gives the model with its adapter; what cannot be applied is refused', async () => {
  const model = randomModel(tinyConfig(), 12, { rank: 2, alpha: 6, targets: ['q', 'v', 'o', 'fc2'], dropout: 0 });
  const adapter = await exportPeftAdapter(model);
  const baseFiles = await exportGpt2({ ...model, lora: null });
  const base = importGpt2(baseFiles.configJson, baseFiles.safetensors);
  const adapted = applyPeftAdapter(base, adapter.configJson, adapter.safetensors);
  const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], undefined, 'int32');
  const [a, b] = tf.tidy(() => [forward(model, ids).logits, forward(adapted, ids).logits]);
  const [va, vb] = [await a!.data(), await b!.data()];
  va.forEach((x, i) => expect(vb[i]).toBeCloseTo(x, 4));
  const cfg = JSON.parse(adapter.configJson);
  expect(() => applyPeftAdapter(base, JSON.stringify({ ...cfg, peft_type: 'IA3' }), adapter.safetensors)).toThrow(/peft_type "IA3" is not supported/);
  expect(() => applyPeftAdapter(base, JSON.stringify({ ...cfg, use_dora: true }), adapter.safetensors)).toThrow(/use_dora is not supported/);
  expect(() => applyPeftAdapter(base, JSON.stringify({ ...cfg, rank_pattern: {} }), adapter.safetensors)).toThrow(/attn\.c_attn has lora_A \[4,8\] and lora_B \[24,4\], expected \[2,8\] and \[24,2\]/);
  tf.dispose([a!, b!, ids, ...new Set([...Object.values(model.weights), ...Object.values(model.lora!.tensors), ...Object.values(base.weights), ...Object.values(adapted.weights)])]);
});
