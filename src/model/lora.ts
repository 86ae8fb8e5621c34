/**
 * LoRA (Hu et al. 2021): a frozen base matrix W0 [in, out] plus a low-rank update
 *   W' = W0 + (α/r)·A·B,   A [in, r] random,  B [r, out] zero,
 * so ΔW starts at 0. (In the paper's [out, in] layout this is ΔW = B·A; we store matrices
 * transposed, y = x·W, hence A·B here.) Only A and B are trainable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from './rng';
import { LORA_TARGETS, type LoraConfig, type LoraTarget, type ModelConfig, targetShape, validateLoraConfig } from './config';
import { type ParamSpec, type Weights, countParams, initFromSpecs } from './params';

export interface LoraAdapters {
  config: LoraConfig;
  /** `h.{i}.{attn|mlp}.{target}.lora_{A|B}` → tensor. */
  tensors: Weights;
  /** True once folded into the base weights: the forward pass must then skip the adapters. */
  merged: boolean;
}

/** Checkpoint path of a target's module in layer i, e.g. `h.0.attn.q`. */
export function targetPath(layer: number, target: LoraTarget): string {
  return target === 'fc1' || target === 'fc2' ? `h.${layer}.mlp.${target}` : `h.${layer}.attn.${target}`;
}

export function loraSpecs(cfg: ModelConfig, lora: LoraConfig): ParamSpec[] {
  validateLoraConfig(lora);
  const specs: ParamSpec[] = [];
  for (let i = 0; i < cfg.nLayer; i++) {
    for (const t of lora.targets) {
      const [fin, fout] = targetShape(cfg, t);
      const p = targetPath(i, t);
      specs.push(
        { name: `${p}.lora_A`, shape: [fin, lora.rank], init: 'loraA' },
        { name: `${p}.lora_B`, shape: [lora.rank, fout], init: 'zeros' },
      );
    }
  }
  return specs;
}

/** Fresh adapters (B = 0, so the adapted model starts equal to the base model). */
export function initLora(cfg: ModelConfig, lora: LoraConfig, seed: number): LoraAdapters {
  return { config: { ...lora, targets: [...lora.targets] }, tensors: initFromSpecs(loraSpecs(cfg, lora), seed, cfg.nLayer), merged: false };
}

export function loraScale(lora: LoraConfig): number {
  return lora.alpha / lora.rank;
}

/** Trainable parameters that the adapters add. */
export function countLoraParams(cfg: ModelConfig, lora: LoraConfig): number {
  return countParams(loraSpecs(cfg, lora));
}

/**
 * The adapter's contribution (α/r)·drop(x)·A·B for input rows x [N, in], or null when this
 * (layer, target) has no active adapter. `dropoutSeed` is already specific to the layer.
 */
export function loraDelta(
  adapters: LoraAdapters | null | undefined,
  layer: number,
  target: LoraTarget,
  x: tf.Tensor2D, // [N, in]
  dropoutSeed?: number,
): tf.Tensor2D | null {
  if (!adapters || adapters.merged || !adapters.config.targets.includes(target)) return null;
  const p = targetPath(layer, target);
  const A = adapters.tensors[`${p}.lora_A`] as tf.Tensor2D; // [in, r]
  const B = adapters.tensors[`${p}.lora_B`] as tf.Tensor2D; // [r, out]
  const rate = adapters.config.dropout;
  // One independent dropout mask per (step, layer, target).
  const seed = dropoutSeed === undefined ? undefined : Rng.derive(dropoutSeed, `lora:${target}`).nextUint32();
  const xin = rate > 0 && seed !== undefined ? (tf.dropout(x, rate, undefined, seed) as tf.Tensor2D) : x;
  return tf.mul(tf.matMul(tf.matMul(xin, A), B), loraScale(adapters.config)) as tf.Tensor2D; // [N, out]
}

/** ΔW = (α/r)·A·B for one (layer, target): [in, out]. */
export function loraDeltaWeight(adapters: LoraAdapters, layer: number, target: LoraTarget): tf.Tensor2D {
  const p = targetPath(layer, target);
  return tf.tidy(() =>
    tf.mul(tf.matMul(adapters.tensors[`${p}.lora_A`] as tf.Tensor2D, adapters.tensors[`${p}.lora_B`] as tf.Tensor2D), loraScale(adapters.config)),
  ) as tf.Tensor2D;
}

/** Adds sign·ΔW of every adapter into a copy of the base weights; untouched tensors are shared. */
function foldAdapters(cfg: ModelConfig, base: Weights, adapters: LoraAdapters, sign: 1 | -1): Weights {
  const out: Weights = { ...base };
  for (let i = 0; i < cfg.nLayer; i++) {
    const qkvTargets = adapters.config.targets.filter((t) => t === 'q' || t === 'k' || t === 'v');
    if (qkvTargets.length > 0) {
      const name = `h.${i}.attn.qkv.weight`;
      out[name] = tf.tidy(() => {
        const parts = tf.split(base[name]!, 3, 1); // 3 × [C, C]
        const folded = (['q', 'k', 'v'] as const).map((t, j) =>
          qkvTargets.includes(t) ? tf.add(parts[j]!, tf.mul(loraDeltaWeight(adapters, i, t), sign)) : parts[j]!,
        );
        return tf.concat(folded, 1); // [C, 3C]
      });
    }
    for (const t of adapters.config.targets) {
      if (t === 'q' || t === 'k' || t === 'v') continue;
      const name = `${targetPath(i, t)}.weight`;
      out[name] = tf.tidy(() => tf.add(base[name]!, tf.mul(loraDeltaWeight(adapters, i, t), sign)));
    }
  }
  return out;
}

/**
 * Folds the adapters into the base weights (W0 + (α/r)·A·B) so inference pays no LoRA latency.
 * Returns new base weights and the adapters marked merged; the caller disposes the replaced tensors
 * (those in `base` that are not in the result).
 */
export function mergeLora(cfg: ModelConfig, base: Weights, adapters: LoraAdapters): { weights: Weights; adapters: LoraAdapters } {
  if (adapters.merged) throw new Error('mergeLora: adapters are already merged');
  return { weights: foldAdapters(cfg, base, adapters, 1), adapters: { ...adapters, merged: true } };
}

/**
 * The model with its adapters folded into copies of the weights they touch (as decoding wants:
 * one merge instead of two matmuls per target per token), and how to free those copies. A model
 * without adapters, or with merged ones, comes back as it is.
 */
export function mergedForDecoding<M extends { config: ModelConfig; weights: Weights; lora: LoraAdapters | null }>(model: M): { model: M; dispose(): void } {
  if (!model.lora || model.lora.merged) return { model, dispose: () => {} };
  const m = mergeLora(model.config, model.weights, model.lora);
  const copies = Object.entries(m.weights).filter(([n, t]) => model.weights[n] !== t).map(([, t]) => t);
  return { model: { ...model, weights: m.weights, lora: m.adapters }, dispose: () => copies.forEach((t) => t.dispose()) };
}

/** Inverse of mergeLora: W0 = W' − (α/r)·A·B. */
export function unmergeLora(cfg: ModelConfig, merged: Weights, adapters: LoraAdapters): { weights: Weights; adapters: LoraAdapters } {
  if (!adapters.merged) throw new Error('unmergeLora: adapters are not merged');
  return { weights: foldAdapters(cfg, merged, adapters, -1), adapters: { ...adapters, merged: false } };
}

/** Disposes the tensors of `prev` that `next` replaced (after a merge or unmerge). */
export function disposeReplaced(prev: Weights, next: Weights): void {
  for (const [name, t] of Object.entries(prev)) if (next[name] !== t) t.dispose();
}
