/** A benchmark row as plain data: what `npm run bench` prints and the bench page's worker returns. */

export interface BenchRequest {
  preset: string;
  method: string;
  /** 'fused' or 'reference' (src/model/fused/). */
  kernels: string;
  /** Timed steps (the median is reported) after `warmup` untimed ones. */
  steps: number;
  warmup: number;
  /** Timed rollouts of the on-policy methods (0: skip). */
  rollouts: number;
}

export interface BenchRow {
  preset: string;
  method: string;
  kernels: string;
  backend: string;
  batchSize: number;
  /** Steps of the timed ones that were student rollouts (the costly branch). */
  onPolicySteps: number;
  timedSteps: number;
  msPerStepMedian: number;
  msPerStepMin: number;
  dispatchesPerStep: number;
  submitsPerStep: number;
  readbacksPerStep: number;
  passesPerStep: number;
  newBuffersPerStep: number;
  trainTokensPerSec: number;
  /** Tokens both models generate per second in a rollout alone (null: the method has none). */
  rolloutTokensPerSec: number | null;
  /** Largest live GPU bytes after a timed step (webgpu only). */
  liveGpuBytesMax: number | null;
  /** Live tensors after the last timed step less those after the warm-up (0: no leak over the timed steps). */
  tensorGrowth?: number;
  /** Logical peak bytes within one step (tf.profile), as the paper table's memory column. */
  logicalPeakBytes: number;
}

/** One side of `npm run bench -- --compare nanogpt` (scripts/bench-compare.ts). */
export interface CompareRow {
  impl: string;
  adapter: string;
  /** What was run, in words (so the table can say where the two differ). */
  setup: string;
  train: { msPerStep: number; tokensPerSec: number; dispatches: number; submits: number; readbacks: number; tokensPerStep: number };
  gen: { tokensPerSec: number; dispatchesPerToken: number; readbacksPerToken: number; tokens: number };
}
