/**
 * A GPT-style decoder: token + learned position embeddings, pre-norm blocks (LayerNorm → causal
 * multi-head self-attention → residual, LayerNorm → GELU MLP → residual), a final LayerNorm and an
 * LM head tied to the token embedding. Pure tfjs-core math: no DOM, no worker APIs.
 *
 * Q, K and V come from one fused projection split with tf.split on the last axis; a 5-D slice
 * gave silently wrong gradients on tfjs-webgpu (docs/webgpu-traps.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { valueAndGradsFreeing } from './backward';
import { Rng } from './rng';
import type { ModelConfig } from './config';
import { attentionMode, causalMask, selfAttention } from './attention';
import { FUSED, fusedGelu, fusedHere, fusedLayerNorm } from './fused';
import { type LoraAdapters, loraDelta } from './lora';
import type { Weights } from './params';

export interface Transformer {
  config: ModelConfig;
  weights: Weights;
  lora: LoraAdapters | null;
}

/**
 * Keys and values of every layer for the positions seen so far: the reference path's incremental
 * decoding, grown by concatenation (the fused decoder keeps its own, preallocated: decoder.ts).
 */
export type KVCache = {
  keys: tf.Tensor4D[]; // per layer [B, H, S, hd]
  values: tf.Tensor4D[]; // per layer [B, H, S, hd]
  length: number; // positions filled
};

export interface ForwardOptions {
  /** Also return the residual stream after each block (for the logit lens). */
  returnHidden?: boolean;
  /** Past keys/values; the result then carries the cache extended by these positions. */
  cache?: KVCache;
  /** Seed for LoRA dropout; dropout is off when undefined (evaluation). */
  dropoutSeed?: number;
  /**
   * The first position whose logits are computed (default 0): a decoder's prefill needs only the last
   * position's, an evaluation only the response's, not T × V of them.
   */
  logitsFrom?: number;
  /**
   * The tied head's weights already transposed ([C, V]): tfjs-backend-wasm multiplies by a transposed
   * matrix far slower than by a stored one (GPT-2's head: 56 against 6 ms a token), so a decoder there
   * transposes it once.
   */
  headT?: tf.Tensor2D;
}

export interface ForwardResult {
  logits: tf.Tensor3D; // [B, T − logitsFrom, V]
  hidden?: tf.Tensor3D[]; // per block [B, T, C]
  cache?: KVCache;
}

export function emptyCache(): KVCache {
  return { keys: [], values: [], length: 0 };
}

export function disposeCache(cache: KVCache | undefined): void {
  if (!cache) return;
  for (const t of cache.keys) t.dispose();
  for (const t of cache.values) t.dispose();
}

export function layerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  if (fusedHere(FUSED.layerNorm)) return fusedLayerNorm(x, gain, bias, eps);
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gain), bias);
}

/** GELU, tanh approximation (as GPT-2). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (fusedHere(FUSED.gelu)) return fusedGelu(x);
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** y + LoRA delta, when there is one. */
function withDelta(y: tf.Tensor2D, delta: tf.Tensor2D | null): tf.Tensor2D {
  return delta ? tf.add(y, delta) : y;
}

/** y + b, where the model has biases (imported GPT-2 models; ours have none). */
function withBias(y: tf.Tensor, b: tf.Tensor | undefined): tf.Tensor2D {
  return (b ? tf.add(y, b) : y) as tf.Tensor2D;
}

function linear(x: tf.Tensor2D, w: tf.Tensor, delta: tf.Tensor2D | null): tf.Tensor2D {
  return withDelta(tf.matMul(x, w as tf.Tensor2D), delta);
}

/**
 * Runs the model on token ids [B, T] placed after `cache.length` cached positions.
 * Call inside tf.tidy (or dispose the result) as usual.
 */
export function forward(model: Transformer, ids: tf.Tensor2D, opts: ForwardOptions = {}): ForwardResult {
  const { config: cfg, weights: w, lora } = model;
  const [B, T] = ids.shape;
  const C = cfg.dModel;
  const H = cfg.nHead;
  const past = opts.cache?.length ?? 0;
  if (T < 1) throw new Error('forward: empty sequence');
  if (past + T > cfg.contextLength) {
    throw new Error(`forward: ${past + T} positions exceed the context length ${cfg.contextLength}`);
  }
  const seed = opts.dropoutSeed;
  const layerSeed = (i: number) => (seed === undefined ? undefined : Rng.derive(seed, `layer:${i}`).nextUint32());

  const tok = tf.gather(w['wte.weight']!, ids); // [B, T, C]
  const pos = tf.slice(w['wpe.weight']!, [past, 0], [T, C]); // [T, C]
  let x = tf.add(tok, pos) as tf.Tensor3D; // [B, T, C]
  const mode = attentionMode(T, opts.cache);
  const mask = mode === 'reference' ? causalMask(T, past) : null; // [T, S]
  const hidden: tf.Tensor3D[] = [];
  const newCache: KVCache | undefined = opts.cache ? { keys: [], values: [], length: past + T } : undefined;

  /** The residual stream after an output projection: x + (h·W + delta + b). */
  const project = (res: tf.Tensor3D, h: tf.Tensor2D, name: string, delta: tf.Tensor2D | null): tf.Tensor3D =>
    tf.add(res, tf.reshape(withBias(linear(h, w[`${name}.weight`]!, delta), w[`${name}.bias`]), [B, T, C])) as tf.Tensor3D;

  // One tidy per block: what a block computes and no later block or backward needs is freed at its end, not
  // kept until the caller's tidy closes (a [16, 64] prefill of GPT-2 small held 2.9 GB by the head). Under a
  // gradient tape this is safe: what the backward needs, tfjs keeps as its own copies.
  for (let i = 0; i < cfg.nLayer; i++) {
    const block = tf.tidy(() => {
      const p = `h.${i}`;
      const s = layerSeed(i);
      // Attention.
      const h = tf.reshape(layerNorm(x, w[`${p}.ln1.weight`]!, w[`${p}.ln1.bias`]!, cfg.layerNormEps), [B * T, C]) as tf.Tensor2D; // [BT, C]
      const qkv = withBias(tf.matMul(h, w[`${p}.attn.qkv.weight`] as tf.Tensor2D), w[`${p}.attn.qkv.bias`]); // [BT, 3C]
      const att = selfAttention({ mode, qkv, h, lora, layer: i, seed: s, B, T, H, past, cache: opts.cache, mask });
      const y = att.y; // [BT, C]
      const x1 = project(x, y, `${p}.attn.o`, loraDelta(lora, i, 'o', y, s)); // [B, T, C]
      // MLP.
      const h2 = tf.reshape(layerNorm(x1, w[`${p}.ln2.weight`]!, w[`${p}.ln2.bias`]!, cfg.layerNormEps), [B * T, C]) as tf.Tensor2D; // [BT, C]
      const f = gelu(withBias(linear(h2, w[`${p}.mlp.fc1.weight`]!, loraDelta(lora, i, 'fc1', h2, s)), w[`${p}.mlp.fc1.bias`])) as tf.Tensor2D; // [BT, F]
      const out = project(x1, f, `${p}.mlp.fc2`, loraDelta(lora, i, 'fc2', f, s)); // [B, T, C]
      return { out, keys: att.keys, values: att.values };
    });
    if (newCache) {
      newCache.keys.push(block.keys!);
      newCache.values.push(block.values!);
    }
    if (!opts.returnHidden) x.dispose(); // the block's input (a gradient's tape holds its own copy)
    x = block.out;
    if (opts.returnHidden) hidden.push(x);
  }

  const from = opts.logitsFrom ?? 0;
  if (from < 0 || from >= T) throw new Error(`forward: logits from position ${from} of ${T}`);
  const logits = lmHead(model, from > 0 ? (tf.slice(x, [0, from, 0], [B, T - from, C]) as tf.Tensor3D) : x, opts.headT);
  return { logits, hidden: opts.returnHidden ? hidden : undefined, cache: newCache };
}

/** Final LayerNorm and the tied LM head: residual stream [B, T, C] → logits [B, T, V]. */
export function lmHead(model: Transformer, x: tf.Tensor3D, headT?: tf.Tensor2D): tf.Tensor3D {
  const { config: cfg, weights: w } = model;
  const [B, T, C] = x.shape;
  const n = tf.reshape(layerNorm(x, w['lnf.weight']!, w['lnf.bias']!, cfg.layerNormEps), [B * T, C]) as tf.Tensor2D; // [BT, C]
  const logits = headT ? tf.matMul(n, headT) : tf.matMul(n, w['wte.weight'] as tf.Tensor2D, false, true); // [BT, V]
  return tf.reshape(logits, [B, T, cfg.vocabSize]); // [B, T, V]
}

/**
 * Logit lens: each block's residual stream read out through the model's own final norm and LM
 * head, giving a next-token distribution (as logits) per layer. The last entry equals the model's
 * output logits.
 */
export function logitLens(model: Transformer, hidden: tf.Tensor3D[]): tf.Tensor3D[] {
  return hidden.map((x) => lmHead(model, x)); // L × [B, T, V]
}

/** Throws if any id is outside [0, vocabSize): webgpu's gather returns 0 there instead of failing. */
export function checkTokenIds(ids: ArrayLike<number>, vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
      throw new Error(`token id ${t} at index ${i} is outside the vocabulary [0, ${vocabSize})`);
    }
  }
}

/** Every tensor of a model, base weights and LoRA tensors, by checkpoint name. */
export function allParams(model: Transformer): Weights {
  return { ...model.weights, ...(model.lora?.tensors ?? {}) };
}

/** The same model with some tensors replaced by name (for functional gradients: tf.grads). */
export function withParams(model: Transformer, replace: Weights): Transformer {
  const weights = { ...model.weights };
  const lora = model.lora ? { ...model.lora, tensors: { ...model.lora.tensors } } : null;
  for (const [name, t] of Object.entries(replace)) {
    if (name in weights) weights[name] = t;
    else if (lora && name in lora.tensors) lora.tensors[name] = t;
    else throw new Error(`withParams: the model has no tensor ${name}`);
  }
  return { config: model.config, weights, lora };
}

/** Value and gradient of a scalar loss with respect to the named tensors of a model. */
export function valueAndGrads(
  model: Transformer,
  names: string[],
  loss: (m: Transformer) => tf.Scalar,
): { value: tf.Scalar; grads: Weights } {
  const params = allParams(model);
  const xs = names.map((n) => params[n]!);
  const { value, grads } = valueAndGradsFreeing(() => loss(withParams(model, Object.fromEntries(names.map((n, i) => [n, xs[i]!])))), xs);
  return { value, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]!])) };
}

/**
 * valueAndGrads for a loss that also returns measurements made on the way (say, the per-layer
 * divergence it was built from), so they need not be computed twice. The measurements come back
 * as tensors the caller owns (no gradient flows through them).
 */
export function valueAndGradsWithAux<A extends Record<string, tf.Tensor>>(
  model: Transformer,
  names: string[],
  loss: (m: Transformer) => { loss: tf.Scalar; aux: A },
): { value: tf.Scalar; grads: Weights; aux: A } {
  let aux: A | null = null;
  const r = valueAndGrads(model, names, (m) => {
    const out = loss(m);
    // The gradient disposes everything made inside but the loss: keep the measurements.
    for (const t of Object.values(out.aux)) tf.keep(t);
    aux = out.aux;
    return out.loss;
  });
  return { ...r, aux: aux! };
}
