/**
 * Incremental decoding of a model, a position at a time after a prompt (rollouts, generation):
 * feed the prompt once, then one token per row, and get the next-token logits of each row.
 *
 * Two implementations of one interface:
 *   fused      the decode programs (src/model/fused/decoding.ts): per layer one state tensor,
 *              preallocated to the sequence length and written in place (the KV cache inside it),
 *              one program per block; embed, L blocks and the head are L + 2 dispatches per token;
 *   reference  the model's forward pass with a KV cache grown by concatenation (every backend).
 * LoRA adapters are folded into copies of the weights once, for the fused decoder (they stay
 * fixed while decoding); the reference runs them as the forward pass does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BlockWeights, type DecodeLayout, decodeLayout, fusedDecodeBlock, fusedDecodeEmbed, fusedDecodeHead, fusedDecoding } from './fused';
import { mergedForDecoding } from './lora';
import { type KVCache, type Transformer, disposeCache, emptyCache, forward } from './transformer';

export interface Decoder {
  /** Feeds the prompt ids [B, P] (int32): the logits of its last position [B, V]. */
  prefill(ids: tf.Tensor2D): tf.Tensor2D;
  /**
   * Feeds one token per row, read from column `col` of `tokens` [B, W] (int32, or float32 holding
   * whole numbers, such as the rollout decision's rows): the next logits [B, V].
   */
  next(tokens: tf.Tensor2D, col?: number): tf.Tensor2D;
  /** Positions fed so far. */
  readonly length: number;
  readonly fused: boolean;
  dispose(): void;
}

/** A decoder of `batch` rows for a prompt of `promptLength` and at most `capacity` positions fed in all. */
export function makeDecoder(model: Transformer, batch: number, promptLength: number, capacity: number): Decoder {
  const cfg = model.config;
  if (capacity > cfg.contextLength) throw new Error(`decoder: ${capacity} positions exceed the context length ${cfg.contextLength}`);
  if (promptLength < 1 || promptLength > capacity) throw new Error(`decoder: a prompt of ${promptLength} in a capacity of ${capacity}`);
  const layout = decodeLayout({ C: cfg.dModel, H: cfg.nHead, F: cfg.dFF, S: capacity, TN: promptLength });
  return fusedDecoding(layout, batch) ? new FusedDecoder(model, batch, layout) : new ReferenceDecoder(model, capacity);
}

class FusedDecoder implements Decoder {
  readonly fused = true;
  length = 0;
  private readonly merged: { model: Transformer; dispose(): void };
  private states: tf.Tensor2D[];
  private readonly blocks: BlockWeights[];

  constructor(
    model: Transformer,
    private readonly batch: number,
    private readonly layout: DecodeLayout,
  ) {
    this.merged = mergedForDecoding(model);
    this.blocks = Array.from({ length: model.config.nLayer }, (_, i) => blockWeights(this.merged.model.weights, i));
    this.states = Array.from({ length: model.config.nLayer }, () => tf.zeros([batch, layout.R]) as tf.Tensor2D); // [B, R] per layer
  }

  prefill(ids: tf.Tensor2D): tf.Tensor2D {
    if (this.length !== 0) throw new Error('decoder: prefill once, first');
    if (ids.shape[0] !== this.batch || ids.shape[1] !== this.layout.TN) throw new Error(`decoder: a prompt [${ids.shape}] where [${this.batch}, ${this.layout.TN}] was planned`);
    return this.feed(ids, ids.shape[1], 0);
  }

  next(tokens: tf.Tensor2D, col = 0): tf.Tensor2D {
    if (this.length === 0) throw new Error('decoder: prefill first');
    if (tokens.shape[0] !== this.batch || col >= tokens.shape[1]) throw new Error(`decoder: tokens [${tokens.shape}] have no column ${col} for ${this.batch} rows`);
    return this.feed(tokens, 1, col);
  }

  private feed(ids: tf.Tensor2D, count: number, col: number): tf.Tensor2D {
    const { config: cfg, weights: w } = this.merged.model;
    const past = this.length;
    if (past + count > this.layout.S) throw new Error(`decoder: ${past + count} positions exceed its capacity of ${this.layout.S}`);
    const L = this.layout;
    const x = fusedDecodeEmbed(ids, w['wte.weight']!, w['wpe.weight']!, count, past, col); // [B, count, C]
    let input = { x: x as tf.Tensor, stride: count * L.C, offset: 0 };
    for (let i = 0; i < cfg.nLayer; i++) {
      const before = this.states[i]!;
      this.states[i] = fusedDecodeBlock(before, L, this.blocks[i]!, input, count, past, cfg.layerNormEps); // [B, R], in place
      before.dispose(); // the handle only: the buffer lives on in the new one
      input = { x: this.states[i]!, stride: L.R, offset: L.x };
    }
    x.dispose();
    this.length = past + count;
    return fusedDecodeHead(this.states[cfg.nLayer - 1]!, w['lnf.weight']!, w['lnf.bias']!, w['wte.weight']!, L.x + (count - 1) * L.C, cfg.layerNormEps); // [B, V]
  }

  dispose(): void {
    tf.dispose([...this.states, ...this.blocks.map((b) => b.vectors)]);
    this.states = [];
    this.merged.dispose();
  }
}

/** Block i's weights for the decode program (its vectors packed into one tensor: the caller frees `vectors`). */
function blockWeights(w: Record<string, tf.Tensor>, i: number): BlockWeights {
  const p = `h.${i}`;
  const biases = w[`${p}.attn.qkv.bias`] ? [w[`${p}.attn.qkv.bias`]!, w[`${p}.attn.o.bias`]!, w[`${p}.mlp.fc1.bias`]!, w[`${p}.mlp.fc2.bias`]!] : [];
  const vectors = tf.concat([w[`${p}.ln1.weight`]!, w[`${p}.ln1.bias`]!, w[`${p}.ln2.weight`]!, w[`${p}.ln2.bias`]!, ...biases]); // [4C (+ 3C + C + F + C)]
  return { wqkv: w[`${p}.attn.qkv.weight`]!, wo: w[`${p}.attn.o.weight`]!, w1: w[`${p}.mlp.fc1.weight`]!, w2: w[`${p}.mlp.fc2.weight`]!, vectors };
}

class ReferenceDecoder implements Decoder {
  readonly fused = false;
  private cache: KVCache = emptyCache();
  /** On wasm, the head transposed once (see ForwardOptions.headT). */
  private readonly headT: tf.Tensor2D | undefined;

  constructor(
    private readonly model: Transformer,
    private readonly capacity: number,
  ) {
    if (tf.getBackend() === 'wasm') this.headT = tf.transpose(model.weights['wte.weight']!) as tf.Tensor2D; // [C, V]
  }

  get length(): number {
    return this.cache.length;
  }

  prefill(ids: tf.Tensor2D): tf.Tensor2D {
    if (this.cache.length !== 0) throw new Error('decoder: prefill once, first');
    return this.feed(ids);
  }

  next(tokens: tf.Tensor2D, col = 0): tf.Tensor2D {
    if (this.cache.length === 0) throw new Error('decoder: prefill first');
    const ids = tf.tidy(() => tf.cast(tf.slice(tokens, [0, col], [tokens.shape[0], 1]), 'int32') as tf.Tensor2D); // [B, 1]
    try {
      return this.feed(ids);
    } finally {
      ids.dispose();
    }
  }

  private feed(ids: tf.Tensor2D): tf.Tensor2D {
    const cache = this.cache;
    if (cache.length + ids.shape[1] > this.capacity) throw new Error(`decoder: ${cache.length + ids.shape[1]} positions exceed its capacity of ${this.capacity}`);
    const r = tf.tidy(() => {
      const o = forward(this.model, ids, { cache, logitsFrom: ids.shape[1] - 1, headT: this.headT });
      const [B, , V] = o.logits.shape;
      return { logits: tf.reshape(o.logits, [B, V]) as tf.Tensor2D, cache: o.cache! };
    });
    disposeCache(cache);
    this.cache = r.cache;
    return r.logits;
  }

  dispose(): void {
    disposeCache(this.cache);
    this.cache = emptyCache();
    this.headT?.dispose();
  }
}
