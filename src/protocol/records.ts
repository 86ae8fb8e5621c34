/**
 * What a run measures, as plain data: the record of one training step, of an evaluation, of a
 * finished run, and what a prepared run is. The engine writes them (Node and worker alike), the
 * page reads them; nothing here imports the engine.
 *
 * Naming: `step` is the index of a training step (0-based: the first step is step 0); `done` is a
 * count of steps completed (after the first step, done = 1).
 */
import type { DistillConfig } from '../config/knobs';

export interface MemorySnapshot {
  numTensors: number;
  numBytes: number;
  /** webgpu only: bytes of live GPU buffers. */
  gpuBytesInUse?: number;
  /** webgpu only: bytes of the buffer pool (tfjs never frees it). */
  gpuBytesPooled?: number;
}

export interface StepRecord {
  /** Index of this step, 0-based. */
  step: number;
  loss: number;
  lossOut: number;
  lossLayer: number;
  lossCe: number;
  /** τ at the first response position this step (τ(s, 0)), or null when the method has no threshold. */
  tau: number | null;
  /** τ(s, t) at each response position t of this step's batch, when the method has a threshold. */
  tauByPosition?: number[];
  onPolicy: boolean;
  /** Fraction of rollout tokens the teacher replaced (0 on gold batches). */
  interventionRate: number;
  /** On-policy steps: per response position, the share of the batch's counted sequences whose token came from the teacher. */
  interventionByPosition?: number[];
  /** On-policy steps: per response position, the mean trigger divergence of the counted sequences (before the choice). */
  divergenceByPosition?: number[];
  /** On-policy steps: rollout tokens the teacher produced, and all counted rollout tokens (up to each end mark). */
  teacherTokens?: number;
  rolloutTokens?: number;
  /** Per student layer: fraction of positions where D_ℓ,t ≥ τ (empty without a teacher). */
  layerInterventionRate: number[];
  /** Per student layer: mean D_ℓ,t over the response positions (empty without a teacher). */
  layerDivergence: number[];
  /** Layer × position divergence of the first sequence, when asked. */
  heatmap?: { layers: number; positions: number; values: number[] };
  /** The first sequence's response, with the positions the teacher replaced, when asked. */
  sample?: { prompt: string; response: string; intervened: number[]; divergence: number[] };
  lr: number;
  gradNorm: number;
  msPerStep: number;
  tokensPerSec: number;
  memory: MemorySnapshot;
  /** Entropy-based effective rank of every LoRA ΔW, by module path, every rankEvery steps. */
  effectiveRank?: Record<string, number>;
}

export interface LengthResult {
  length: number;
  rougeL: number;
  exactMatch: number;
  beyondTraining: boolean;
}

export interface EvalRecord {
  /** Steps done when this was measured (0: before training). */
  done: number;
  rougeL: number;
  exactMatch: number;
  perplexity: number;
  byLength: LengthResult[];
  /** Accuracy at each output position, over the test lengths beyond the training range. */
  accuracyByPositionBeyond: number[];
  /** Accuracy at each output position, over all test lengths. */
  accuracyByPosition: number[];
  samples: { prompt: string; output: string; gold: string }[];
}

export interface FinalRecord extends EvalRecord {
  trainableParams: number;
  totalParams: number;
  teacherParams: number;
  /** Logical peak bytes of one training step (tf.profile), teacher and optimiser state included. */
  peakBytes: number;
  /** webgpu only: the largest live GPU bytes sampled after a step. */
  peakGpuBytes?: number;
  msPerToken: number;
  /** Runs with rollouts: the share of all counted rollout tokens of the run that the teacher produced. */
  teacherTokenShare?: number;
}

/** A prepared run, as the page shows it before the first step. */
export interface RunInfo {
  config: DistillConfig;
  base: string;
  teacher: string;
  layerMap: number[];
  studentLayers: number;
  tau0: number | null;
  tauMin: number | null;
  trainableParams: number;
  totalParams: number;
  teacherParams: number;
  loraRank: number | null;
  loraModules: string[];
}

export type RunStatus = 'preparing' | 'ready' | 'running' | 'paused' | 'done' | 'failed';

export type PaperStatus = 'running' | 'done' | 'stopped' | 'failed';

/** Steps done once the step a record describes is over. */
export const doneAfter = (r: StepRecord): number => r.step + 1;
