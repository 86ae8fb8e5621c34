/**
 * Parameters of the transformer: names, shapes, deterministic initialisation from a seed, counts.
 *
 * Matrices are stored [in, out] (y = x·W), as GPT-2 does. Names follow the checkpoint layout:
 *   wte.weight [V, C]            token embedding, tied to the LM head
 *   wpe.weight [P, C]            learned positions
 *   h.{i}.ln1.{weight,bias} [C]
 *   h.{i}.attn.qkv.weight [C, 3C] fused Q|K|V projection, split with tf.split on the last axis
 *   h.{i}.attn.o.weight [C, C]
 *   h.{i}.ln2.{weight,bias} [C]
 *   h.{i}.mlp.fc1.weight [C, F]
 *   h.{i}.mlp.fc2.weight [F, C]
 *   lnf.{weight,bias} [C]
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from './config';
import { Rng } from './rng';

/** Name → tensor. Base weights are plain tensors; trainers decide what is trainable. */
export type Weights = Record<string, tf.Tensor>;

export type InitKind = 'normal' | 'residual' | 'ones' | 'zeros' | 'loraA';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitKind;
}

const INIT_STD = 0.02;

/** Every base parameter of a model with this config, in a fixed order. */
export function paramSpecs(cfg: ModelConfig): ParamSpec[] {
  const C = cfg.dModel;
  const specs: ParamSpec[] = [
    { name: 'wte.weight', shape: [cfg.vocabSize, C], init: 'normal' },
    { name: 'wpe.weight', shape: [cfg.nPositions, C], init: 'normal' },
  ];
  for (let i = 0; i < cfg.nLayer; i++) {
    const p = `h.${i}`;
    specs.push(
      { name: `${p}.ln1.weight`, shape: [C], init: 'ones' },
      { name: `${p}.ln1.bias`, shape: [C], init: 'zeros' },
      { name: `${p}.attn.qkv.weight`, shape: [C, 3 * C], init: 'normal' },
      { name: `${p}.attn.o.weight`, shape: [C, C], init: 'residual' },
      { name: `${p}.ln2.weight`, shape: [C], init: 'ones' },
      { name: `${p}.ln2.bias`, shape: [C], init: 'zeros' },
      { name: `${p}.mlp.fc1.weight`, shape: [C, cfg.dFF], init: 'normal' },
      { name: `${p}.mlp.fc2.weight`, shape: [cfg.dFF, C], init: 'residual' },
    );
    if (cfg.bias) {
      specs.push(
        { name: `${p}.attn.qkv.bias`, shape: [3 * C], init: 'zeros' },
        { name: `${p}.attn.o.bias`, shape: [C], init: 'zeros' },
        { name: `${p}.mlp.fc1.bias`, shape: [cfg.dFF], init: 'zeros' },
        { name: `${p}.mlp.fc2.bias`, shape: [C], init: 'zeros' },
      );
    }
  }
  specs.push({ name: 'lnf.weight', shape: [C], init: 'ones' }, { name: 'lnf.bias', shape: [C], init: 'zeros' });
  return specs;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Initial values of one parameter, from its own stream derived from (seed, name), so a value does
 * not depend on which other parameters exist. GPT-2 scheme: N(0, 0.02²), residual projections
 * scaled by 1/√(2L); LoRA A uniform in ±1/√in (as PEFT's Kaiming-uniform with a = √5).
 */
export function initValues(spec: ParamSpec, seed: number, nLayer: number): Float32Array {
  const n = sizeOf(spec.shape);
  const rng = Rng.derive(seed, spec.name);
  switch (spec.init) {
    case 'normal':
      return rng.normalArray(n, INIT_STD);
    case 'residual':
      return rng.normalArray(n, INIT_STD / Math.sqrt(2 * nLayer));
    case 'ones':
      return new Float32Array(n).fill(1);
    case 'zeros':
      return new Float32Array(n);
    case 'loraA': {
      const bound = 1 / Math.sqrt(spec.shape[0]!);
      return rng.uniformArray(n, -bound, bound);
    }
  }
}

export function initFromSpecs(specs: ParamSpec[], seed: number, nLayer: number): Weights {
  const w: Weights = {};
  for (const s of specs) w[s.name] = tf.tensor(initValues(s, seed, nLayer), s.shape, 'float32');
  return w;
}

/** Fresh base weights for a config, deterministic in the seed. */
export function initWeights(cfg: ModelConfig, seed: number): Weights {
  return initFromSpecs(paramSpecs(cfg), seed, cfg.nLayer);
}

/** Number of scalars in a set of specs or tensors. */
export function countParams(items: ParamSpec[] | Weights): number {
  const shapes = Array.isArray(items) ? items.map((s) => s.shape) : Object.values(items).map((t) => t.shape);
  return shapes.reduce((acc, s) => acc + sizeOf(s), 0);
}

export function disposeWeights(w: Weights): void {
  for (const t of Object.values(w)) t.dispose();
}

/**
 * Replaces every tensor by N(0, std²) values (LayerNorm gains by 1 + N(0, 0.1²)), disposing the
 * old ones. For gradient and parity checks, where the tiny init scale would hide whole paths.
 */
export function randomizeWeights(w: Weights, seed: number, std = 0.3): Weights {
  const out: Weights = {};
  for (const [name, t] of Object.entries(w)) {
    const rng = Rng.derive(seed, name);
    const isGain = /ln\w*\.weight$/.test(name);
    const vals = rng.normalArray(t.size, isGain ? 0.1 : std).map((x) => (isGain ? 1 + x : x));
    out[name] = tf.tensor(vals, t.shape);
    t.dispose();
  }
  return out;
}
