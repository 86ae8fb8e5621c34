/**
 * Presets: a task, the teacher/base architecture and the knob defaults of a run. The data issue
 * adds the corpus presets and shipped checkpoints; until then a preset's base checkpoint is a
 * seeded initialisation and its teacher is fine-tuned from it on first use (see distill/teacher.ts).
 */
import type { DistillConfig } from '../distill/config';
import { type TaskConfig, maxSequenceLength } from './tasks';

export interface Preset {
  name: string;
  description: string;
  task: TaskConfig;
  /** Teacher-size (base) architecture; the student keeps every other layer. */
  arch: { nLayer: number; nHead: number; dModel: number; dFF: number };
  /** Seed of the base checkpoint's initialisation. */
  baseSeed: number;
  /** How the fine-tuned teacher (the `ft` model) is made from the base. */
  teacherRecipe: { steps: number; lr: number; batchSize: number; seedData: number };
  /** Knob defaults for this preset (over the method's). */
  defaults: Partial<DistillConfig>;
}

export const PRESETS: Record<string, Preset> = {
  tiny: {
    name: 'tiny',
    description: 'reverse strings of 2–6 letters (tested up to 8); a 4-layer × 32 teacher and a 2-layer student — small enough for a browser test on a software GPU',
    task: { task: 'reverse', trainLengths: [2, 6], testLengths: [2, 4, 6, 8], testPerLength: 16 },
    arch: { nLayer: 4, nHead: 2, dModel: 32, dFF: 64 },
    baseSeed: 1234,
    teacherRecipe: { steps: 600, lr: 3e-3, batchSize: 32, seedData: 77 },
    defaults: { steps: 200, batchSize: 16, lr: 3e-3, topK: 3, evalEvery: 50, loraRank: 8, loraAlpha: 16 },
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
