/**
 * Will a model fit a WebGPU adapter? Every tensor lives in one GPU buffer bound whole to a shader,
 * so the largest one must be within the device's maxStorageBufferBindingSize and maxBufferSize
 * (WebGPU's defaults: 128 MiB and 256 MiB; tfjs asks for the adapter's own, often larger). The
 * largest tensors are the token embedding [V, C] and the logits [B, T, V] of a step. Also an
 * estimate of a training step's GPU memory, to show before a run starts.
 */
import type { ModelConfig } from './config';
import { countParams, paramSpecs } from './params';

export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** WebGPU's default limits (what an adapter guarantees when nothing higher is asked for). */
export const WEBGPU_DEFAULT_LIMITS: GpuLimits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 };

/** No buffer limit (backends other than webgpu). */
export const NO_LIMITS: GpuLimits = { maxStorageBufferBindingSize: Infinity, maxBufferSize: Infinity };

export interface GpuFit {
  params: number;
  /** The largest single tensor of a step and its bytes. */
  largest: { what: string; bytes: number };
  /**
   * A rough floor of a training step's GPU bytes: weights (and, training all of them, gradients
   * and AdamW's two moments), plus the logits and their gradient at [B, T, V] twice.
   */
  estimateBytes: number;
  /** Why it will not fit (empty when it will). */
  problems: string[];
}

const MB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

export function gpuFit(cfg: ModelConfig, run: { batch: number; seq: number; trainAll: boolean }, limits: GpuLimits = WEBGPU_DEFAULT_LIMITS): GpuFit {
  const specs = paramSpecs(cfg);
  const params = countParams(specs);
  const tensors = [
    ...specs.map((s) => ({ what: `${s.name} [${s.shape.join(', ')}]`, bytes: 4 * s.shape.reduce((a, b) => a * b, 1) })),
    { what: `the logits of a step [${run.batch}, ${run.seq}, ${cfg.vocabSize}]`, bytes: 4 * run.batch * run.seq * cfg.vocabSize },
    { what: `the MLP activations of a step [${run.batch * run.seq}, ${cfg.dFF}]`, bytes: 4 * run.batch * run.seq * cfg.dFF },
  ];
  const largest = tensors.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const problems = tensors.filter((t) => t.bytes > limit).map((t) => `${t.what} needs ${MB(t.bytes)} in one buffer; this GPU binds at most ${MB(limit)}`);
  const estimateBytes = 4 * params * (run.trainAll ? 4 : 1) + 2 * 4 * run.batch * run.seq * cfg.vocabSize;
  return { params, largest, estimateBytes, problems };
}
