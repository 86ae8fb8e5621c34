/** Fused ops of decoding (no gradients): the rollout decision, and a model's decoding as embed, one program per block, head. */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED, runFused as run } from './switch';
import { fusedHere } from './switch';

/** How a rollout token is chosen, as numbers for the program (see fusedRolloutChoice). */
export interface RolloutChoiceAttrs {
  /** The divergence's program number (divergenceProgram). */
  kind: number;
  /** Divergence temperature. */
  temperature: number;
  /** The mixture's teacher weight: gjsd's β, skl's α (unused otherwise). */
  w: number;
  /** Sampling temperature of the Gumbel-max draws. */
  sampleTemperature: number;
  /** The trigger's number (triggerCode). */
  trigger: number;
  tau: number;
  topK: number;
}

/**
 * One rollout token's decision in one program: teacher logits lt and student logits ls [B, V]
 * and uniform noise u (draw `draw` of u [N, B, V], or u [B, V]) give [B, 4] rows [token taken,
 * student's token, 1 if the teacher's was taken, divergence]. No gradient: rollouts are sampled,
 * not differentiated.
 */
export function fusedRolloutChoice(lt: tf.Tensor2D, ls: tf.Tensor2D, u: tf.Tensor, attrs: RolloutChoiceAttrs, draw = 0): tf.Tensor2D {
  const [B, V] = lt.shape;
  if (u.size < (draw + 1) * B * V) throw new Error(`fusedRolloutChoice: noise of ${u.size} values has no draw ${draw} of [${B}, ${V}]`);
  return run(FUSED.rolloutChoice, { lt, ls, u }, { ...attrs, uOffset: draw * B * V } as unknown as Record<string, number>) as tf.Tensor2D;
}

/** The decode programs' limit on a state tensor (WebGPU's default maxStorageBufferBindingSize). */
export const MAX_DECODE_STATE_BYTES = 128 * 1024 * 1024;

/** Sizes of a model's decode state: width C, heads H, MLP width F, cache positions S, new positions at once TN. */
export interface DecodeSizes {
  C: number;
  H: number;
  F: number;
  S: number;
  TN: number;
}

/**
 * Where everything sits in a row of a layer's decode state (offsets in floats): the cache
 * [S, 2, C] (keys, then values, of each position) at 0, the block's output x [TN, C], and the
 * scratch of one position (h, q, y, m [C], f [F], attention weights p [H, S]); R floats a row.
 */
export interface DecodeLayout extends DecodeSizes {
  x: number;
  h: number;
  q: number;
  y: number;
  m: number;
  f: number;
  p: number;
  R: number;
}

export function decodeLayout(z: DecodeSizes): DecodeLayout {
  const x = 2 * z.S * z.C;
  const h = x + z.TN * z.C;
  const q = h + z.C;
  const y = q + z.C;
  const m = y + z.C;
  const f = m + z.C;
  const p = f + z.F;
  return { ...z, x, h, q, y, m, f, p, R: p + z.H * z.S };
}

/** True where decoding runs as the fused decode programs: registered, switched on, and the state fits one binding. */
export function fusedDecoding(layout: DecodeLayout, batch: number): boolean {
  return batch * layout.R * 4 <= MAX_DECODE_STATE_BYTES && fusedHere(FUSED.decodeBlock) && fusedHere(FUSED.decodeEmbed) && fusedHere(FUSED.decodeHead);
}

/**
 * Token + position embeddings of `count` new positions after `past`: ids from column `col` on of
 * `ids` [B, W] (int32, or float32 holding whole numbers) → [B, count, C].
 */
export function fusedDecodeEmbed(ids: tf.Tensor2D, wte: tf.Tensor, wpe: tf.Tensor, count: number, past: number, col = 0): tf.Tensor3D {
  return run(FUSED.decodeEmbed, { ids, wte, wpe }, { count, past, col }) as tf.Tensor3D;
}

/**
 * The weights of one block as the decode program takes them: the four matrices, and every vector
 * in one tensor (a program may bind only 8 storage buffers): `vectors` = [ln1 gain, ln1 bias,
 * ln2 gain, ln2 bias] (C each), then, where the model has linear biases, [qkv 3C, o C, fc1 F, fc2 C].
 */
export interface BlockWeights {
  wqkv: tf.Tensor; // [C, 3C]
  wo: tf.Tensor; // [C, C]
  w1: tf.Tensor; // [C, F]
  w2: tf.Tensor; // [F, C]
  vectors: tf.Tensor; // [4C] or [4C + 3C + C + F + C]
}

export interface BlockInput {
  /** The block's input rows: the embeddings [B, count, C] (stride count·C, offset 0) or the previous layer's state [B, R] (stride R, offset layout.x). */
  x: tf.Tensor;
  stride: number;
  offset: number;
}

/**
 * One block for `count` new positions after `past`, in place on the layer's state [B, R]: writes
 * the positions' keys and values into its cache and the block's output into its x rows. Returns
 * the state (sharing its buffer): the tensor passed in must not be read afterwards.
 */
export function fusedDecodeBlock(state: tf.Tensor2D, layout: DecodeLayout, w: BlockWeights, input: BlockInput, count: number, past: number, eps: number): tf.Tensor2D {
  const { C, H, F, S, TN } = layout;
  const plain = 4 * C;
  const biased = plain + 3 * C + C + F + C;
  if (w.vectors.size !== plain && w.vectors.size !== biased) throw new Error(`fusedDecodeBlock: ${w.vectors.size} vector entries, not ${plain} or ${biased}`);
  const inputs = { state, x: input.x, wqkv: w.wqkv, wo: w.wo, w1: w.w1, w2: w.w2, vectors: w.vectors };
  const attrs = { C, H, F, S, TN, past, count, xStride: input.stride, xOffset: input.offset, eps, scale: 1 / Math.sqrt(C / H), bias: w.vectors.size === biased ? 1 : 0 };
  return run(FUSED.decodeBlock, inputs, attrs) as tf.Tensor2D;
}

/** Final LayerNorm + tied LM head of the C floats at `offset` of every state row [B, R] → logits [B, V]. */
export function fusedDecodeHead(state: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, wte: tf.Tensor, offset: number, eps: number): tf.Tensor2D {
  return run(FUSED.decodeHead, { state, gain, bias, wte }, { xOffset: offset, eps }) as tf.Tensor2D;
}
