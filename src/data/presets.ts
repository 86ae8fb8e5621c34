/**
 * Presets: a task, the teacher/base architecture, the recipes of its base and teacher checkpoints,
 * and the knob defaults of a run. The data issue adds the corpus presets and shipped checkpoints;
 * until then hosts make the checkpoints from the recipes on first use (see distill/checkpoints.ts).
 */
import type { DistillConfig, Method } from '../distill/config';
import { type TaskConfig, maxSequenceLength } from './tasks';

/** A CE training run that makes a checkpoint. */
export interface Recipe {
  steps: number;
  lr: number;
  batchSize: number;
  seedData: number;
}

export interface Preset {
  name: string;
  description: string;
  task: TaskConfig;
  /** Teacher-size (base) architecture; the student keeps every other layer. */
  arch: { nLayer: number; nHead: number; dModel: number; dFF: number };
  /** Seed of the base checkpoint's initialisation. */
  baseSeed: number;
  /** How the base checkpoint is pretrained from that initialisation (CE on a mix of tasks). */
  baseRecipe: Recipe & { task: TaskConfig };
  /** How the fine-tuned teacher (the `ft` model) is made from the base, on the preset's task. */
  teacherRecipe: Recipe;
  /** Knob defaults for this preset (over the method's). */
  defaults: Partial<DistillConfig>;
  /** Per-method knob defaults (over `defaults`), e.g. a higher learning rate for LoRA. */
  methodDefaults?: Partial<Record<Method, Partial<DistillConfig>>>;
}

export const PRESETS: Record<string, Preset> = {
  tiny: {
    name: 'tiny',
    description: 'reverse strings of 2–6 letters (tested up to 8); a 4-layer × 32 teacher and a 2-layer student — small enough for a browser test on a software GPU',
    task: { task: 'reverse', trainLengths: [2, 6], testLengths: [2, 4, 6, 8], testPerLength: 16 },
    arch: { nLayer: 4, nHead: 2, dModel: 32, dFF: 64 },
    baseSeed: 1234,
    // The base learns generic string work (copy, sort); reversing is left to fine-tuning.
    baseRecipe: { steps: 300, lr: 3e-3, batchSize: 32, seedData: 76, task: { task: 'copy', mix: ['sort'], trainLengths: [2, 8], testLengths: [8], testPerLength: 16 } },
    teacherRecipe: { steps: 500, lr: 3e-3, batchSize: 32, seedData: 77 },
    defaults: { steps: 200, batchSize: 16, lr: 3e-3, topK: 3, evalEvery: 50, loraRank: 8, loraAlpha: 16 },
    methodDefaults: { lora: { lr: 1e-2 }, 'kd-lora': { lr: 1e-2 }, 'sti-lora': { lr: 1e-2 }, gkd: { lr: 1e-2 }, skd: { lr: 1e-2 } },
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);

export function getPreset(name: string): Preset {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset ${JSON.stringify(name)}; valid: ${PRESET_NAMES.join(', ')}`);
  return p;
}

/** Context the preset's sequences need (inputs are one shorter than prompt + response). */
export function presetContext(p: Preset): number {
  return maxSequenceLength(p.task);
}
