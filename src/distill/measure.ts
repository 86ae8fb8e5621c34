/**
 * Measurements of a run that are not quality: memory as tfjs reports it, the logical peak bytes
 * of a piece of work, and decoding latency with the LoRA update merged (so adapters add none).
 */
import * as tf from '@tensorflow/tfjs-core';
import { bufferPeak } from '../model/buffers';
import { mergedForDecoding } from '../model/lora';
import { generate } from '../model/sampling';
import type { Transformer } from '../model/transformer';
import type { MemorySnapshot } from '../protocol/records';

/** The median of timings (the upper one of an even count), as every benchmark here reports it. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Memory as tfjs reports it; the GPU fields only on webgpu. */
export function memorySnapshot(): MemorySnapshot {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  const out: MemorySnapshot = { numTensors: m.numTensors, numBytes: m.numBytes };
  if (m.numBytesInGPU !== undefined) out.gpuBytesInUse = m.numBytesInGPU;
  if (m.numBytesAllocatedInGPU !== undefined) out.gpuBytesPooled = m.numBytesAllocatedInGPU;
  return out;
}

/** Peaks of a piece of work, everything alive included. */
export interface Peaks {
  /** tf.profile's: every tensor object counted, those sharing a buffer (clones, reshapes) again. */
  logical: number;
  /** Distinct buffers, each counted once (src/model/buffers.ts); null where the host did not track them from the start. */
  buffers: number | null;
}

/** The logical (tf.profile) and distinct-buffer peak bytes while `work` runs. */
export async function peakBytes(work: () => Promise<unknown>): Promise<Peaks> {
  let buffers: number | null = null;
  const info = await tf.profile(async () => {
    buffers = await bufferPeak(work);
  });
  return { logical: info.peakBytes, buffers };
}

/**
 * Median ms per generated token: greedy decoding of `tokens` tokens after `prompt` ([1, P]) with
 * the KV cache, the LoRA update merged into the weights first.
 */
export async function decodeMsPerToken(model: Transformer, prompt: tf.Tensor2D, tokens: number, runs = 10, warmup = 3): Promise<number> {
  const merged = mergedForDecoding(model); // LoRA folded into the weights: adapters add no latency
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const t0 = performance.now();
      const out = generate(merged.model, prompt, tokens, { greedy: true, temperature: 1, topK: 0, topP: 1 }, 0);
      await out.data();
      out.dispose();
      if (i >= warmup) times.push((performance.now() - t0) / tokens);
    }
  } finally {
    merged.dispose();
  }
  return median(times);
}
