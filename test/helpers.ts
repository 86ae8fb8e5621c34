/** Shared fixtures for the unit tests: tiny models and a finite-difference gradient checker. */
import * as tf from '@tensorflow/tfjs-core';
import { type LoraConfig, type ModelConfig, modelConfig } from '../src/model/config';
import { initLora } from '../src/model/lora';
import { type Weights, initWeights, randomizeWeights as randomize } from '../src/model/params';
import { Rng } from '../src/model/rng';
import type { Transformer } from '../src/model/transformer';

export { randomize };

/** A model with random (not small) weights and, optionally, random adapters (B ≠ 0), so every path carries signal. */
export function randomModel(cfg: ModelConfig, seed: number, lora?: LoraConfig): Transformer {
  const weights = randomize(initWeights(cfg, seed), seed + 1);
  const adapters = lora ? initLora(cfg, lora, seed + 2) : null;
  if (adapters) adapters.tensors = randomize(adapters.tensors, seed + 3);
  return { config: cfg, weights, lora: adapters };
}

export function tinyConfig(over: Partial<ModelConfig> = {}): ModelConfig {
  return modelConfig({ vocabSize: 11, nLayer: 2, nHead: 2, dModel: 8, dFF: 16, nPositions: 12, contextLength: 12, ...over });
}

export const ALL_TARGETS: LoraConfig = { rank: 2, alpha: 4, targets: ['q', 'k', 'v', 'o', 'fc1', 'fc2'], dropout: 0 };

export function randomIds(rng: Rng, B: number, T: number, V: number): tf.Tensor2D {
  return tf.tensor2d(Array.from({ length: B * T }, () => rng.int(V)), [B, T], 'int32');
}

export async function values(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export interface FdResult {
  name: string;
  analytic: number;
  numeric: number;
  relErr: number;
}

/**
 * Central finite differences of a scalar loss along unit directions v in one tensor's space:
 * D(h) = (L(θ + h·v) − L(θ − h·v)) / 2h, numeric = (4·D(h/2) − D(h)) / 3 (Richardson),
 * analytic = ⟨∇L, v⟩. Directions: the gradient
 * itself, then `randomDirs` random directions in the gradient's orthant (normalised). Using whole-tensor directions
 * keeps the float32 difference well above rounding noise.
 */
export async function finiteDifferenceCheck(
  loss: (p: Weights) => tf.Scalar,
  params: Weights,
  grads: Weights,
  opts: { h?: number; randomDirs?: number; seed?: number; gradScale?: number } = {},
): Promise<FdResult[]> {
  const h = opts.h ?? 1e-2;
  const rng = new Rng(opts.seed ?? 7);
  const results: FdResult[] = [];
  for (const name of Object.keys(grads)) {
    const g = await values(grads[name]!);
    const gScaled = g.map((x) => x * (opts.gradScale ?? 1));
    const dirs: Float32Array[] = [];
    const gNorm = Math.hypot(...g);
    if (gNorm > 0) dirs.push(g.map((x) => x / gNorm));
    for (let d = 0; d < (opts.randomDirs ?? 2); d++) {
      // A random direction inside the orthant of the analytic gradient: v_i = sign(g_i)·u_i.
      // Its directional derivative is large (no cancellation), so float32 noise stays small,
      // and an entry with a wrong sign or size in the analytic gradient still shows up.
      const v = g.map((x) => Math.sign(x) * (0.1 + rng.uniform()));
      const n = Math.hypot(...v);
      if (n > 0) dirs.push(v.map((x) => x / n));
    }
    for (const v of dirs) {
      const at = (step: number) =>
        tf.tidy(() => {
          const shifted = { ...params, [name]: tf.add(params[name]!, tf.mul(tf.tensor(v, params[name]!.shape), step * h)) };
          return loss(shifted).dataSync()[0]!;
        });
      // Central differences at h and h/2, combined by Richardson extrapolation (error O(h⁴)).
      const central = (step: number) => (at(step) - at(-step)) / (2 * step * h);
      const numeric = (4 * central(0.5) - central(1)) / 3;
      let analytic = 0;
      for (let i = 0; i < g.length; i++) analytic += gScaled[i]! * v[i]!;
      const relErr = Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic), 1e-4);
      results.push({ name, analytic, numeric, relErr });
    }
  }
  return results;
}
