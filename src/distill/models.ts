/** Building the models of a run: the initial model of a recipe base, the half-depth student, copies. */
import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, modelConfig } from '../model/config';
import { type Weights, initWeights } from '../model/params';
import type { Transformer } from '../model/transformer';
import { type Preset, baseLabel } from '../config/presets';
import { type DataSource, taskSource } from '../data/source';

/** The architecture of a preset whose base is made from a recipe, sized for its data. */
export function presetModelConfig(p: Preset, data: DataSource): ModelConfig {
  if (p.base.kind !== 'recipe') throw new Error(`preset ${p.name} starts from ${baseLabel(p)}, not a recipe`);
  const ctx = Math.max(data.maxSequenceLength, taskSource(p.base.recipe.task).maxSequenceLength);
  return modelConfig({ vocabSize: data.tokenizer.vocabSize, ...p.base.arch, nPositions: ctx, contextLength: ctx });
}

/** The seeded initialisation a recipe base is pretrained from. */
export function initialModel(p: Preset, data: DataSource): Transformer {
  if (p.base.kind !== 'recipe') throw new Error(`preset ${p.name} has no base recipe`);
  const cfg = presetModelConfig(p, data);
  return { config: cfg, weights: initWeights(cfg, p.base.seed), lora: null };
}

export function cloneWeights(w: Weights): Weights {
  return Object.fromEntries(Object.entries(w).map(([n, t]) => [n, tf.clone(t)]));
}

/** A copy of the base weights (no adapters). */
export function cloneModel(m: Transformer): Transformer {
  return { config: m.config, weights: cloneWeights(m.weights), lora: null };
}

/**
 * Which base layers the student keeps: `blocks` of them spread evenly from the first
 * (⌊i·L/blocks⌋), or with 0 every other one (DistilBERT): 0, 2, 4, …
 */
export function studentLayers(teacherLayers: number, blocks = 0): number[] {
  if (blocks === 0) return Array.from({ length: Math.ceil(teacherLayers / 2) }, (_, i) => 2 * i);
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > teacherLayers) throw new Error(`studentBlocks: ${blocks} blocks of a base of ${teacherLayers} (0 for every other one, or 1 to ${teacherLayers})`);
  return Array.from({ length: blocks }, (_, i) => Math.floor((i * teacherLayers) / blocks));
}

/** The student: same width and tokenizer, some blocks of the base (studentLayers), embeddings and final norm copied. */
export function studentFromBase(base: Transformer, blocks = 0): Transformer {
  const keep = studentLayers(base.config.nLayer, blocks);
  const cfg: ModelConfig = { ...base.config, nLayer: keep.length };
  const weights: Weights = {};
  for (const [name, t] of Object.entries(base.weights)) {
    const m = /^h\.(\d+)\.(.*)$/.exec(name);
    if (!m) weights[name] = tf.clone(t);
    else {
      const j = keep.indexOf(Number(m[1]));
      if (j >= 0) weights[`h.${j}.${m[2]}`] = tf.clone(t);
    }
  }
  return { config: cfg, weights, lora: null };
}

export function disposeModel(m: Transformer | null | undefined): void {
  if (!m) return;
  tf.dispose(Object.values(m.weights));
  if (m.lora) tf.dispose(Object.values(m.lora.tensors));
}
