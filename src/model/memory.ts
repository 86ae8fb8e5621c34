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

/** What a distillation run holds on the GPU, by part, before it starts (an estimate: tfjs's pool and temporaries come on top). */
export interface RunMemory {
  teacherParams: number;
  studentParams: number;
  trainableParams: number;
  bytes: { teacher: number; student: number; adapters: number; optimiser: number; activations: number };
  total: number;
  /** Why it will not fit this GPU's buffers (empty when it will). */
  problems: string[];
}

/**
 * A run's memory before it starts: the teacher's weights (frozen), the student's, its adapters, AdamW's two moments of the
 * trainable ones, and a step's largest activations — the logits [B, T, V] of the student and the teacher and, for the
 * logit lens, of each student layer and its teacher layer, with their gradients.
 */
export function runMemory(
  teacher: ModelConfig,
  student: ModelConfig,
  run: { batch: number; seq: number; lora: { rank: number; targets: string[] } | null },
  limits: GpuLimits = WEBGPU_DEFAULT_LIMITS,
): RunMemory {
  const teacherParams = countParams(paramSpecs(teacher));
  const studentParams = countParams(paramSpecs(student));
  const C = student.dModel;
  const perTarget = (t: string) => (t === 'fc1' ? C + student.dFF : t === 'fc2' ? student.dFF + C : 2 * C) * (run.lora?.rank ?? 0);
  const adapterParams = run.lora ? student.nLayer * run.lora.targets.reduce((a, t) => a + perTarget(t), 0) : 0;
  const trainableParams = run.lora ? adapterParams : studentParams;
  const logits = 4 * run.batch * run.seq * student.vocabSize;
  const bytes = {
    teacher: 4 * teacherParams,
    student: 4 * studentParams,
    adapters: 4 * adapterParams,
    optimiser: 8 * trainableParams,
    activations: logits * (2 * student.nLayer + 2),
  };
  const fit = gpuFit(teacher, { batch: run.batch, seq: run.seq, trainAll: !run.lora }, limits);
  return { teacherParams, studentParams, trainableParams, bytes, total: Object.values(bytes).reduce((a, b) => a + b, 0), problems: fit.problems };
}
