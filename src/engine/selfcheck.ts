/**
 * Backend self-check: one training step of a tiny model (loss and the gradient of every
 * parameter) computed on the active backend and on `cpu`, compared tensor by tensor.
 * tfjs-webgpu has produced silently wrong gradients before (docs/webgpu-traps.md); this catches that class.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type LoraConfig, type ModelConfig, modelConfig } from '../model/config';
import { initLora } from '../model/lora';
import { crossEntropy, distillLoss } from '../model/losses';
import { initWeights, randomizeWeights } from '../model/params';
import { Rng } from '../model/rng';
import { type Transformer, allParams, forward, logitLens, valueAndGrads } from '../model/transformer';
import { taskSource } from '../data/source';
import { resolveConfig } from '../config/resolve';
import { StepDriver } from '../distill/driver';
import { Trainer } from '../distill/trainer';
import type { DistillParityReport, ParityReport } from '../protocol/messages';

/** Random, not small, weights (and adapters with B ≠ 0 when asked), so every path carries signal. */
function noisyModel(cfg: ModelConfig, seed: number, lora?: LoraConfig): Transformer {
  const weights = randomizeWeights(initWeights(cfg, seed), seed + 1);
  const adapters = lora ? initLora(cfg, lora, seed + 2) : null;
  if (adapters) adapters.tensors = randomizeWeights(adapters.tensors, seed + 3);
  return { config: cfg, weights, lora: adapters };
}

const GRADIENT_MODEL = modelConfig({ vocabSize: 16, nLayer: 2, nHead: 2, dModel: 16, dFF: 32, nPositions: 16, contextLength: 16 });
const GRADIENT_LORA: LoraConfig = { rank: 2, alpha: 4, targets: ['q', 'k', 'v', 'o', 'fc1', 'fc2'], dropout: 0 };

export interface StepGradients {
  loss: number;
  grads: Record<string, Float32Array>;
}

/**
 * Loss and gradients of one step on the current backend: cross-entropy on random targets plus a
 * forward-KL logit-lens term on every layer, w.r.t. every base and LoRA tensor.
 */
export async function trainingStepGradients(seed = 1): Promise<StepGradients> {
  const cfg = GRADIENT_MODEL;
  const model = noisyModel(cfg, seed, GRADIENT_LORA);
  const rng = new Rng(seed + 10);
  const B = 2;
  const T = 8;
  const ids = tf.tensor2d(Array.from({ length: B * T }, () => rng.int(cfg.vocabSize)), [B, T], 'int32');
  const targets = tf.tensor2d(Array.from({ length: B * T }, () => rng.int(cfg.vocabSize)), [B, T], 'int32');
  const teacher = tf.tensor3d(rng.normalArray(B * T * cfg.vocabSize, 2), [B, T, cfg.vocabSize]);
  const names = Object.keys(allParams(model));
  const { value, grads } = valueAndGrads(model, names, (m) => {
    const r = forward(m, ids, { returnHidden: true });
    const lens = logitLens(m, r.hidden!);
    return lens.reduce((acc, l) => tf.add(acc, tf.mul(distillLoss(teacher, l, { kind: 'fkl' }), 0.5)), crossEntropy(r.logits, targets));
  });
  const out: StepGradients = { loss: (await value.data())[0]!, grads: {} };
  for (const n of names) out.grads[n] = (await grads[n]!.data()) as Float32Array;
  tf.dispose([value, ids, targets, teacher, ...Object.values(grads), ...Object.values(allParams(model))]);
  return out;
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

/**
 * Runs `fn` on `backend`. On webgpu, tfjs normally runs ops whose inputs are small CPU-resident
 * tensors on the CPU (WEBGPU_CPU_FORWARD); a self-check of tiny models would then test the CPU
 * kernels, so that hand-off is switched off meanwhile.
 */
async function onBackend<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} is not available`);
  const flag = 'WEBGPU_CPU_FORWARD';
  const forward = backend === 'webgpu' && tf.env().getFlags()[flag] !== undefined ? tf.env().getBool(flag) : null;
  if (forward !== null) tf.env().set(flag, false);
  try {
    return await fn();
  } finally {
    if (forward !== null) tf.env().set(flag, forward);
  }
}

/** Compares a step on `backend` with the same step on `reference`; leaves `backend` active. */
export async function gradientParity(backend: string, reference = 'cpu', tolerance = 1e-3): Promise<ParityReport> {
  const active = await onBackend(backend, () => trainingStepGradients());
  const ref = await onBackend(reference, () => trainingStepGradients());
  await tf.setBackend(backend);
  let maxGradRelErr = 0;
  let worstTensor = '';
  for (const [name, g] of Object.entries(ref.grads)) {
    const e = relErr(active.grads[name]!, g);
    if (!(e <= maxGradRelErr)) {
      maxGradRelErr = e;
      worstTensor = name;
    }
  }
  const lossRelErr = Math.abs(active.loss - ref.loss) / Math.abs(ref.loss);
  return {
    backend,
    reference,
    tensors: Object.keys(ref.grads).length,
    lossActive: active.loss,
    lossReference: ref.loss,
    lossRelErr,
    maxGradRelErr,
    worstTensor,
    ok: lossRelErr < tolerance && maxGradRelErr < tolerance,
    tolerance,
  };
}

/**
 * The tiny preset's task (reversal) at one fixed length, with 4 × 16 models of the tiny base's
 * context (18 positions): the smallest real distillation run.
 */
const DISTILL_TASK = taskSource({ task: 'reverse', trainLengths: [4, 4], testLengths: [3, 4, 6], testPerLength: 4, testSeed: 1 });
const DISTILL_MODEL = modelConfig({ vocabSize: DISTILL_TASK.tokenizer.vocabSize, nLayer: 4, nHead: 2, dModel: 16, dFF: 32, nPositions: 18, contextLength: 18 });

/** Losses and intervention rates of a few sti-lora steps (rollouts, teacher, layer term, AdamW) on the current backend. */
async function distillSteps(steps: number): Promise<{ losses: number[]; rates: number[] }> {
  const teacher = noisyModel(DISTILL_MODEL, 5);
  const base = noisyModel(DISTILL_MODEL, 6);
  const cfg = resolveConfig({ preset: 'tiny', method: 'sti-lora', batchSize: 4, steps, warmupSteps: 1, heatmapEvery: 0, rankEvery: 0, topK: 3 });
  const trainer = await Trainer.create(cfg, DISTILL_TASK, base, teacher);
  const losses: number[] = [];
  const rates: number[] = [];
  try {
    await new StepDriver(trainer, { evaluate: null }).run({
      onStep: (r) => {
        losses.push(r.loss);
        rates.push(r.interventionRate);
      },
    });
  } finally {
    trainer.dispose();
    tf.dispose([...Object.values(teacher.weights), ...Object.values(base.weights)]);
  }
  return { losses, rates };
}

/**
 * The whole distillation step — STI rollout with the KV cache, teacher scoring, layer-lens loss,
 * AdamW on LoRA — for a few steps on `backend` and on `reference`, losses compared step by step.
 * Sampling noise comes from the same seeded stream, so both sides draw the same tokens unless two
 * logits are within float error of each other. (This check found tf.addN returning garbage on
 * webgpu for 8+ inputs; see model/ops.ts.)
 */
export async function distillParity(backend: string, reference = 'cpu', steps = 3, tolerance = 1e-3): Promise<DistillParityReport> {
  const a = await onBackend(backend, () => distillSteps(steps));
  const b = await onBackend(reference, () => distillSteps(steps));
  await tf.setBackend(backend);
  const rel = a.losses.map((x, i) => Math.abs(x - b.losses[i]!) / Math.abs(b.losses[i]!));
  const maxLossRelErr = Math.max(...rel);
  return {
    backend,
    reference,
    steps,
    lossesActive: a.losses,
    lossesReference: b.losses,
    interventionActive: a.rates,
    interventionReference: b.rates,
    maxLossRelErr,
    ok: maxLossRelErr < tolerance,
    tolerance,
  };
}
