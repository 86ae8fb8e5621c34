/**
 * The resources table (`paper-table --resources`, the app's Paper view): per method, what one
 * training step holds at its peak, broken down, and what the deployed model costs per token. Time
 * and memory do not depend on what the weights learned, so a model of GPT-2's shape with random
 * weights measures them where the paper's claims are about (weights dominating memory).
 */
import type { Method } from '../config/knobs';

/** The parts of a training step's logical peak, in the order shown; typed so every part has a label. */
export type MemoryPart = 'teacher' | 'frozen' | 'trainable' | 'gradients' | 'optimiser' | 'activations';

export const MEMORY_PARTS: Record<MemoryPart, { label: string; how: string }> = {
  teacher: { label: 'teacher weights', how: 'the frozen teacher the KD methods run beside the trained model (4 bytes a parameter)' },
  frozen: { label: 'frozen weights', how: "the trained model's weights that LoRA leaves as they are" },
  trainable: { label: 'trainable weights', how: 'the weights (or adapters) the optimiser updates' },
  gradients: { label: 'gradients', how: 'one gradient per trainable weight, alive at the end of the backward pass' },
  optimiser: { label: 'optimiser state', how: "AdamW's two moments per trainable weight" },
  activations: { label: 'activations and temporaries', how: 'the rest of the measured peak: what the forward keeps for the backward, logits, rollouts, temporaries' },
};

export const MEMORY_ORDER = Object.keys(MEMORY_PARTS) as MemoryPart[];

export type MemoryBreakdown = Record<MemoryPart, number>;

export interface ResourceRecord {
  method: Method;
  trainableParams: number;
  /** Parameters of the trained model, LoRA adapters included. */
  totalParams: number;
  /** Parameters of the teacher it runs beside (0 for the methods without one). */
  teacherParams: number;
  /** The logical peak bytes of one training step (tf.profile), its update included: every live tensor, teacher and optimiser state too. */
  peakBytes: number;
  /** The peak by part: sizes of what exists (weights, gradients, moments), activations the measured rest. */
  breakdown: MemoryBreakdown;
  /**
   * The same step's peak counting each buffer once (src/model/buffers.ts): tensors sharing one (the student's
   * blocks cut from the teacher, the copies a gradient saves, reshapes) count once. Absent where not tracked.
   */
  bufferPeakBytes?: number;
  /** webgpu only: the device bytes in use after a step (tfjs's pool of buffers included). */
  liveGpuBytes?: number;
  /** Median ms of the training steps run. */
  msPerStep: number;
  /** Median ms per token of greedy KV-cached decoding by the deployed model (LoRA merged). */
  msPerToken: number;
}

/** A step's peak estimated before a run starts (src/model/memory.ts: stepMemory), by the same parts. */
export interface StepMemory {
  teacherParams: number;
  /** The trained model's parameters, adapters included. */
  trainedParams: number;
  trainableParams: number;
  parts: MemoryBreakdown;
  total: number;
  /** Why it will not fit this GPU's buffers (empty when it will). */
  problems: string[];
}

/** What a resources run measures with: the same for every method. */
export interface ResourcePlan {
  preset: string;
  /** Training steps run before the peak is measured (the first one creates the optimiser's state). */
  steps: number;
  batchSize: number;
  /** Tokens decoded for the latency, and how many timed runs the median is over. */
  decodeTokens: number;
  decodeRuns: number;
}

export const RESOURCE_DEFAULTS = { steps: 2, decodeTokens: 32, decodeRuns: 5 } as const;

/** The peak by part: the sizes of what exists, float32; activations and temporaries are the measured rest. */
export function memoryBreakdown(r: { trainableParams: number; totalParams: number; teacherParams: number; peakBytes: number }): MemoryBreakdown {
  const known = {
    teacher: 4 * r.teacherParams,
    frozen: 4 * (r.totalParams - r.trainableParams),
    trainable: 4 * r.trainableParams,
    gradients: 4 * r.trainableParams,
    optimiser: 8 * r.trainableParams,
  };
  const sum = Object.values(known).reduce((a, b) => a + b, 0);
  return { ...known, activations: r.peakBytes - sum };
}
