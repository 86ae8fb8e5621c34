/**
 * GPT-2 in Hugging Face's layout, in and out: `config.json` (model_type "gpt2") and
 * `model.safetensors` with transformers' names, as `GPT2LMHeadModel.from_pretrained` reads and
 * writes them. GPT-2's Conv1D stores weights [in, out], as this engine does, so weights map one to
 * one; only the names differ:
 *
 *   wte.weight, wpe.weight                       → wte.weight, wpe.weight
 *   h.{i}.ln_1.{weight,bias}, h.{i}.ln_2.*       → h.{i}.ln1.*, h.{i}.ln2.*
 *   h.{i}.attn.c_attn.{weight,bias} [C, 3C]/[3C] → h.{i}.attn.qkv.{weight,bias} (Q|K|V side by side)
 *   h.{i}.attn.c_proj.*                          → h.{i}.attn.o.*
 *   h.{i}.mlp.c_fc.*, h.{i}.mlp.c_proj.*         → h.{i}.mlp.fc1.*, h.{i}.mlp.fc2.*
 *   ln_f.*                                       → lnf.*
 *
 * with or without a `transformer.` prefix; `lm_head.weight` tied to wte (or absent); the causal
 * mask buffers older files carry (`attn.bias`, `attn.masked_bias`) are ignored. GELU is the tanh
 * approximation ("gelu_new"), as this engine's. What does not fit is refused with a message that
 * names it: another model_type or activation, a missing or mis-shaped tensor, an untied LM head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, modelConfig } from './config';
import { CheckpointError, type RawTensor, decodeSafetensors, encodeSafetensors } from './checkpoint';
import { mergedForDecoding } from './lora';
import { paramSpecs } from './params';
import type { Transformer } from './transformer';

/** The tanh-approximated GELU under the names transformers gives it. */
const TANH_GELU = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];

const RENAMES: [RegExp, string][] = [
  [/^h\.(\d+)\.ln_1\./, 'h.$1.ln1.'],
  [/^h\.(\d+)\.ln_2\./, 'h.$1.ln2.'],
  [/^h\.(\d+)\.attn\.c_attn\./, 'h.$1.attn.qkv.'],
  [/^h\.(\d+)\.attn\.c_proj\./, 'h.$1.attn.o.'],
  [/^h\.(\d+)\.mlp\.c_fc\./, 'h.$1.mlp.fc1.'],
  [/^h\.(\d+)\.mlp\.c_proj\./, 'h.$1.mlp.fc2.'],
  [/^ln_f\./, 'lnf.'],
];

/** transformers' name → ours (null: a buffer, not a weight). */
export function fromHfName(name: string): string | null {
  const n = name.replace(/^transformer\./, '');
  if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(n)) return null;
  for (const [re, to] of RENAMES) if (re.test(n)) return n.replace(re, to);
  return n;
}

/** Ours → transformers' (without the `transformer.` prefix, as the Hub's GPT-2 files are). */
export function toHfName(name: string): string {
  return name
    .replace(/^h\.(\d+)\.ln1\./, 'h.$1.ln_1.')
    .replace(/^h\.(\d+)\.ln2\./, 'h.$1.ln_2.')
    .replace(/^h\.(\d+)\.attn\.qkv\./, 'h.$1.attn.c_attn.')
    .replace(/^h\.(\d+)\.attn\.o\./, 'h.$1.attn.c_proj.')
    .replace(/^h\.(\d+)\.mlp\.fc1\./, 'h.$1.mlp.c_fc.')
    .replace(/^h\.(\d+)\.mlp\.fc2\./, 'h.$1.mlp.c_proj.')
    .replace(/^lnf\./, 'ln_f.');
}

const num = (c: Record<string, unknown>, k: string, fallback?: number): number => {
  const v = c[k] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new CheckpointError(`config.json: ${k} is ${JSON.stringify(c[k])}, not a number`);
  return v;
};

/** Our model config from a GPT-2 config.json (parsed), or a CheckpointError saying what does not fit. */
export function gpt2Config(json: unknown): ModelConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new CheckpointError('config.json is not a JSON object');
  const c = json as Record<string, unknown>;
  if (c.model_type !== 'gpt2') throw new CheckpointError(`config.json: model_type ${JSON.stringify(c.model_type)} is not supported (only "gpt2": GPT-2, DistilGPT2 and their fine-tunes)`);
  const act = c.activation_function ?? 'gelu_new';
  if (typeof act !== 'string' || !TANH_GELU.includes(act)) throw new CheckpointError(`config.json: activation_function ${JSON.stringify(act)} is not supported (${TANH_GELU.join(', ')})`);
  const C = num(c, 'n_embd');
  const nPositions = num(c, 'n_positions');
  try {
    return modelConfig({
      vocabSize: num(c, 'vocab_size'),
      nLayer: num(c, 'n_layer'),
      nHead: num(c, 'n_head'),
      dModel: C,
      dFF: c.n_inner === null || c.n_inner === undefined ? 4 * C : num(c, 'n_inner'),
      nPositions,
      contextLength: nPositions,
      layerNormEps: num(c, 'layer_norm_epsilon', 1e-5),
      bias: true,
    });
  } catch (e) {
    throw new CheckpointError(`config.json: ${(e as Error).message}`);
  }
}

/** A Transformer from a GPT-2 folder's config.json (text) and model.safetensors (bytes). */
export function importGpt2(configJson: string, safetensors: Uint8Array): Transformer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(configJson);
  } catch (e) {
    throw new CheckpointError(`config.json is not valid JSON: ${(e as Error).message}`);
  }
  const config = gpt2Config(parsed);
  let tensors: Record<string, RawTensor>;
  try {
    tensors = decodeSafetensors(safetensors).tensors;
  } catch (e) {
    throw new CheckpointError(`model.safetensors: ${(e as Error).message}`);
  }
  const ours: Record<string, RawTensor> = {};
  let lmHead: RawTensor | null = null;
  for (const [name, t] of Object.entries(tensors)) {
    if (name === 'lm_head.weight') {
      lmHead = t;
      continue;
    }
    const n = fromHfName(name);
    if (n !== null) ours[n] = t;
  }
  const specs = paramSpecs(config);
  for (const s of specs) {
    const t = ours[s.name];
    if (!t) throw new CheckpointError(`model.safetensors has no ${toHfName(s.name)} (a GPT-2 with ${config.nLayer} layers needs it)`);
    if (t.shape.join(',') !== s.shape.join(',')) throw new CheckpointError(`model.safetensors: ${toHfName(s.name)} has shape [${t.shape}], config.json says [${s.shape}]`);
  }
  const extra = Object.keys(ours).filter((n) => !specs.some((s) => s.name === n));
  if (extra.length > 0) throw new CheckpointError(`model.safetensors has tensors a GPT-2 does not: ${extra.slice(0, 5).map(toHfName).join(', ')}${extra.length > 5 ? ', …' : ''}`);
  if (lmHead) {
    const wte = ours['wte.weight']!.data;
    const same = lmHead.data.length === wte.length && lmHead.data.every((x, i) => x === wte[i]);
    if (!same) throw new CheckpointError('model.safetensors: lm_head.weight differs from wte.weight (an untied LM head is not supported)');
  }
  const weights = Object.fromEntries(specs.map((s) => [s.name, tf.tensor(ours[s.name]!.data, s.shape)]));
  return { config, weights, lora: null };
}

/**
 * A GPT-2 folder's config.json (text) and model.safetensors (bytes) for `model`, its LoRA merged
 * in; a model without biases (ours) gets zero biases, which GPT-2 has.
 */
export async function exportGpt2(model: Transformer, extra: Record<string, unknown> = {}): Promise<{ configJson: string; safetensors: Uint8Array }> {
  const merged = mergedForDecoding(model);
  try {
    const cfg = merged.model.config;
    const tensors: Record<string, RawTensor> = {};
    for (const s of paramSpecs({ ...cfg, bias: true })) {
      const t = merged.model.weights[s.name];
      tensors[toHfName(s.name)] = { shape: s.shape, data: t ? ((await t.data()) as Float32Array) : new Float32Array(s.shape.reduce((a, b) => a * b, 1)) };
    }
    const config = {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: cfg.vocabSize,
      n_positions: cfg.nPositions,
      n_ctx: cfg.nPositions,
      n_embd: cfg.dModel,
      n_layer: cfg.nLayer,
      n_head: cfg.nHead,
      n_inner: cfg.dFF,
      activation_function: 'gelu_new',
      layer_norm_epsilon: cfg.layerNormEps,
      resid_pdrop: 0,
      embd_pdrop: 0,
      attn_pdrop: 0,
      tie_word_embeddings: true,
      ...extra,
    };
    return { configJson: JSON.stringify(config, null, 2), safetensors: encodeSafetensors(tensors, { format: 'pt' }) };
  } finally {
    merged.dispose();
  }
}
