/**
 * A LoRA adapter as a PEFT adapter folder for GPT-2 (adapter_config.json + adapter_model.safetensors),
 * exact: `PeftModel.from_pretrained(base, DIR)` over the exported GPT-2 gives this engine's model
 * with its adapter.
 *
 * PEFT's LoRA on GPT-2's Conv1D (fan_in_fan_out: true) adds (B_p·A_p)ᵀ·(alpha/r) to the weight
 * [in, out], with A_p [r, in] and B_p [out, r]; ours adds A·B·(α/r) with A [in, r], B [r, out], so
 * A_p = Aᵀ and B_p = Bᵀ. Our separate q, k, v adapters sit on parts of one module (c_attn, whose
 * output is Q|K|V): they become one adapter of rank |S|·r whose A stacks theirs and whose B is
 * block-structured (each target's B in its own rows and columns, zeros elsewhere) — the same ΔW
 * exactly — with rank_pattern and alpha_pattern keeping the scale α/r. o → attn.c_proj,
 * fc1 → c_fc, fc2 → mlp.c_proj.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type RawTensor, decodeSafetensors, encodeSafetensors } from './checkpoint';
import type { LoraTarget } from './config';
import { fromHfName } from './hf-gpt2';
import { loraScale } from './lora';
import type { Transformer } from './transformer';

const QKV: LoraTarget[] = ['q', 'k', 'v'];
const MODULE: Partial<Record<LoraTarget, string>> = { o: 'attn.c_proj', fc1: 'mlp.c_fc', fc2: 'mlp.c_proj' };

/** PEFT's module name (as target_modules matches it) of an adapter on this target. */
const moduleOf = (t: LoraTarget) => (QKV.includes(t) ? 'attn.c_attn' : MODULE[t]!);

export async function exportPeftAdapter(model: Transformer, baseModel = 'gpt2'): Promise<{ configJson: string; safetensors: Uint8Array }> {
  const lora = model.lora;
  if (!lora || lora.merged) throw new Error('this model has no (unmerged) LoRA adapter to export');
  const { rank: r, alpha, targets } = lora.config;
  const C = model.config.dModel;
  const qkv = QKV.filter((t) => targets.includes(t));
  const read = async (name: string) => (await lora.tensors[name]!.data()) as Float32Array;
  const tensors: Record<string, RawTensor> = {};
  for (let l = 0; l < model.config.nLayer; l++) {
    const key = (module: string, ab: 'A' | 'B') => `base_model.model.transformer.h.${l}.${module}.lora_${ab}.weight`;
    // c_attn: A' [|S|r, C] stacks Aᵀ of each target; B' [3C, |S|r] holds Bᵀ of target t in rows t·C… and its own r columns.
    if (qkv.length > 0) {
      const R = qkv.length * r;
      const Ap = new Float32Array(R * C);
      const Bp = new Float32Array(3 * C * R);
      for (const [slot, t] of qkv.entries()) {
        const A = await read(`h.${l}.attn.${t}.lora_A`); // [C, r]
        const B = await read(`h.${l}.attn.${t}.lora_B`); // [r, C]
        const row0 = QKV.indexOf(t) * C;
        for (let k = 0; k < r; k++) {
          for (let i = 0; i < C; i++) Ap[(slot * r + k) * C + i] = A[i * r + k]!;
          for (let j = 0; j < C; j++) Bp[(row0 + j) * R + slot * r + k] = B[k * C + j]!;
        }
      }
      tensors[key('attn.c_attn', 'A')] = { shape: [R, C], data: Ap };
      tensors[key('attn.c_attn', 'B')] = { shape: [3 * C, R], data: Bp };
    }
    for (const t of targets.filter((x) => !QKV.includes(x))) {
      const path = `h.${l}.${t === 'o' ? 'attn' : 'mlp'}.${t}`;
      const A = lora.tensors[`${path}.lora_A`]!; // [in, r]
      const B = lora.tensors[`${path}.lora_B`]!; // [r, out]
      const [din] = A.shape as [number, number];
      const [, dout] = B.shape as [number, number];
      tensors[key(moduleOf(t), 'A')] = { shape: [r, din], data: transpose(await read(`${path}.lora_A`), din, r) };
      tensors[key(moduleOf(t), 'B')] = { shape: [dout, r], data: transpose(await read(`${path}.lora_B`), r, dout) };
    }
  }
  const modules = [...new Set(targets.map(moduleOf))];
  const patterns = qkv.length > 1 ? { rank_pattern: { 'attn.c_attn': qkv.length * r }, alpha_pattern: { 'attn.c_attn': loraScale(lora.config) * qkv.length * r } } : { rank_pattern: {}, alpha_pattern: {} };
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r,
    lora_alpha: alpha,
    lora_dropout: 0,
    target_modules: modules,
    fan_in_fan_out: true,
    bias: 'none',
    modules_to_save: null,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    ...patterns,
  };
  return { configJson: JSON.stringify(config, null, 2), safetensors: encodeSafetensors(tensors, { format: 'pt' }) };
}

/** A row-major [rows, cols] matrix transposed. */
function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

/**
 * A PEFT LoRA adapter for GPT-2 (adapter_config.json text, adapter_model.safetensors bytes) folded
 * into a copy of `base`'s weights by PEFT's own rule for Conv1D: W += (B·A)ᵀ·alpha/r, with r and
 * alpha per module from rank_pattern / alpha_pattern. Refuses what it cannot apply exactly. The
 * result shares the base's tensors that the adapter does not touch.
 */
export function applyPeftAdapter(base: Transformer, configJson: string, safetensors: Uint8Array): Transformer {
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(configJson) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`adapter_config.json is not valid JSON: ${(e as Error).message}`);
  }
  if (cfg.peft_type !== 'LORA') throw new Error(`adapter_config.json: peft_type ${JSON.stringify(cfg.peft_type)} is not supported (LORA only)`);
  for (const flag of ['use_dora', 'use_rslora'] as const) if (cfg[flag]) throw new Error(`adapter_config.json: ${flag} is not supported`);
  const r0 = cfg.r as number;
  const alpha0 = cfg.lora_alpha as number;
  const pattern = (p: unknown, module: string) => Object.entries((p ?? {}) as Record<string, number>).find(([k]) => new RegExp(`(.*\\.)?${k.replace(/\./g, '\\.')}$`).test(module))?.[1];
  const { tensors } = decodeSafetensors(safetensors);
  const weights = { ...base.weights };
  for (const key of Object.keys(tensors).filter((k) => k.endsWith('.lora_A.weight'))) {
    const module = key.replace(/^base_model\.model\./, '').replace(/^transformer\./, '').replace(/\.lora_A\.weight$/, ''); // h.0.attn.c_attn
    const ours = fromHfName(`${module}.weight`);
    const W = ours ? base.weights[ours] : undefined;
    if (!W || W.rank !== 2) throw new Error(`adapter_model.safetensors: ${key} adapts ${module}, which this GPT-2 has no matrix for`);
    const A = tensors[key]!; // [r, in]
    const B = tensors[key.replace('lora_A', 'lora_B')];
    if (!B) throw new Error(`adapter_model.safetensors: ${key} has no lora_B`);
    const r = pattern(cfg.rank_pattern, module) ?? r0;
    const alpha = pattern(cfg.alpha_pattern, module) ?? alpha0;
    const [din, dout] = W.shape as [number, number];
    if (A.shape.join() !== `${r},${din}` || B.shape.join() !== `${dout},${r}`) {
      throw new Error(`adapter_model.safetensors: ${module} has lora_A [${A.shape}] and lora_B [${B.shape}], expected [${r},${din}] and [${dout},${r}]`);
    }
    weights[ours!] = tf.tidy(() => tf.add(W, tf.mul(tf.transpose(tf.matMul(tf.tensor2d(B.data, [dout, r]), tf.tensor2d(A.data, [r, din]))), alpha / r)));
  }
  return { config: base.config, weights, lora: null };
}
