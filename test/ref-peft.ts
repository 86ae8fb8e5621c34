/**
 * PEFT's LoRA merge for GPT-2's Conv1D, written out from PEFT's documented rule (fan_in_fan_out:
 * W += (B·A)ᵀ·alpha/r, rank and alpha per module from rank_pattern / alpha_pattern, modules matched
 * by name suffix), on plain arrays by transformers' names: the tests' independent reference.
 */
import { expect } from 'vitest';

export interface PeftConfig {
  r: number;
  lora_alpha: number;
  target_modules: string[];
  fan_in_fan_out: boolean;
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
}

/** PEFT's merge (as peft/tuners/lora does it for Conv1D), on plain arrays by transformers' names. */
export function peftMerge(base: Record<string, { shape: number[]; data: Float32Array }>, cfg: PeftConfig, adapter: Record<string, { shape: number[]; data: Float32Array }>) {
  const out = Object.fromEntries(Object.entries(base).map(([n, t]) => [n, { shape: t.shape, data: Float64Array.from(t.data) }]));
  const pattern = (p: Record<string, number>, module: string) => Object.entries(p).find(([k]) => new RegExp(`(.*\\.)?${k.replace(/\./g, '\\.')}$`).test(module))?.[1];
  for (const key of Object.keys(adapter).filter((k) => k.endsWith('.lora_A.weight'))) {
    const module = key.replace(/^base_model\.model\.transformer\./, '').replace(/\.lora_A\.weight$/, ''); // e.g. h.0.attn.c_attn
    expect(cfg.target_modules.some((t) => module === t || module.endsWith(`.${t}`)), `${module} is a target`).toBe(true);
    const r = pattern(cfg.rank_pattern, module) ?? cfg.r;
    const alpha = pattern(cfg.alpha_pattern, module) ?? cfg.lora_alpha;
    const A = adapter[key]!; // [r, in]
    const B = adapter[key.replace('lora_A', 'lora_B')]!; // [out, r]
    expect(A.shape[0]).toBe(r);
    const [din, dout] = [A.shape[1]!, B.shape[0]!];
    const W = out[`${module}.weight`]!; // [in, out]
    expect(cfg.fan_in_fan_out).toBe(true);
    for (let i = 0; i < din; i++) for (let j = 0; j < dout; j++) {
      let d = 0;
      for (let k = 0; k < r; k++) d += B.data[j * r + k]! * A.data[k * din + i]!;
      W.data[i * dout + j]! += (d * alpha) / r;
    }
  }
  return out;
}
