/**
 * Causal self-attention alone, forward and backward, at a given shape (GPT-2 small: B = 1,
 * T = 1,024, 12 heads of 64): the fused programs against the reference op graph (matMul, mask,
 * softmax), the same layer code a training step runs (model/attention.ts). `npm run bench --
 * --attention BxTxHxhd` prints the row; the medians compare on one adapter only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { causalMask, selfAttention } from '../model/attention';
import { median } from '../distill/measure';
import { type KernelSet, setKernels } from '../model/fused';

export interface AttentionShape {
  B: number;
  T: number;
  H: number;
  hd: number;
}

export interface AttentionBenchRow extends AttentionShape {
  kernels: KernelSet;
  /** Median and fastest ms of one forward + backward (the gradient of Σ y·w read back). */
  msMedian: number;
  msMin: number;
  timed: number;
}

/** "1x1024x12x64" → B, T, H, hd; a clear error otherwise. */
export function parseAttentionShape(text: string): AttentionShape {
  const parts = text.split('x').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--attention ${text}: give B x T x H x hd as four positive integers, e.g. 1x1024x12x64 (GPT-2 small)`);
  const [B, T, H, hd] = parts as [number, number, number, number];
  return { B, T, H, hd };
}

/** Times forward + backward of causal attention on qkv [B·T, 3·H·hd] with `kernels`: `warmup` untimed, then `steps` timed. */
export async function attentionBench(shape: AttentionShape, kernels: KernelSet, steps: number, warmup: number): Promise<AttentionBenchRow> {
  const { B, T, H, hd } = shape;
  const C = H * hd;
  setKernels(kernels);
  const mode = kernels === 'fused' ? 'fused' : 'reference';
  const qkv = tf.randomNormal([B * T, 3 * C], 0, 1, 'float32', 1) as tf.Tensor2D; // [BT, 3C]
  const w = tf.randomNormal([B * T, C], 0, 1, 'float32', 2); // [BT, C]: a fixed upstream gradient
  const mask = mode === 'reference' ? causalMask(T, 0) : null; // [T, T]
  const loss = (x: tf.Tensor) => tf.sum(tf.mul(selfAttention({ mode, qkv: x as tf.Tensor2D, h: x as tf.Tensor2D, lora: null, layer: 0, seed: undefined, B, T, H, past: 0, cache: undefined, mask }).y, w));
  const grad = tf.grad(loss);
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + steps; i++) {
      const t0 = performance.now();
      const g = tf.tidy(() => grad(qkv));
      await g.data(); // one readback ends the timed work
      g.dispose();
      if (i >= warmup) times.push(performance.now() - t0);
    }
  } finally {
    tf.dispose([qkv, w, ...(mask ? [mask] : [])]);
    setKernels('fused');
  }
  return { ...shape, kernels, msMedian: median(times), msMin: Math.min(...times), timed: steps };
}

/** The rows as a Markdown table, the fused one's speed-up over the reference beside it. */
export function attentionTable(rows: AttentionBenchRow[]): string {
  const ref = rows.find((r) => r.kernels === 'reference');
  return [
    '| attention fwd + bwd | kernels | ms median | ms min | timed | vs reference |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| B ${r.B} × T ${r.T} × ${r.H} heads × ${r.hd} | ${r.kernels} | ${r.msMedian.toFixed(1)} | ${r.msMin.toFixed(1)} | ${r.timed} | ${ref && r !== ref ? `${(ref.msMedian / r.msMedian).toFixed(2)}×` : '—'} |`),
  ].join('\n');
}
