/**
 * Presets: where a run's data comes from, the base checkpoint it starts from, how its teacher
 * (the `ft` model) is made, and its knob defaults.
 *
 * A base is either made from a recipe on first use (`tiny`: small enough to train anywhere) or a
 * shipped checkpoint in public/models/ (made by `npm run pretrain`, see MODELS.md there). Hosts
 * make the teacher from its recipe on first use and may cache it (see distill/checkpoints.ts).
 */
import type { DistillConfig, Method } from './knobs';
import type { TaskConfig } from '../data/tasks';

/** A CE training run that makes a checkpoint. */
export interface Recipe {
  steps: number;
  lr: number;
  batchSize: number;
  seedData: number;
  /**
   * Task presets: draw this phase's training strings from these lengths (inclusive) instead of the
   * preset's, e.g. a finish on the longest ones; the test set stays the preset's.
   */
  trainLengths?: [number, number];
  /**
   * A further phase that continues from this phase's weights with its own learning-rate schedule
   * (warm-up, then cosine decay) and data seed, e.g. a longer low-rate finish.
   */
  then?: Recipe;
}

/** A recipe's phases, in the order they run. */
export function recipePhases(r: Recipe): Recipe[] {
  const phases: Recipe[] = [];
  for (let p: Recipe | undefined = r; p; p = p.then) phases.push(p);
  return phases;
}

/** Steps over all of a recipe's phases. */
export const recipeSteps = (r: Recipe): number => recipePhases(r).reduce((n, p) => n + p.steps, 0);

export type BaseSpec =
  | {
      kind: 'recipe';
      /** Teacher-size architecture; the student keeps every other layer. */
      arch: { nLayer: number; nHead: number; dModel: number; dFF: number };
      /** Seed of the initialisation the recipe starts from. */
      seed: number;
      /** CE pretraining on a task (mix). */
      recipe: Recipe & { task: TaskConfig };
    }
  | {
      kind: 'checkpoint';
      /** public/models/NAME.safetensors. */
      name: string;
    }
  | {
      /** A model the person brings (the app's import, or --teacher DIR): teacher and base at once. */
      kind: 'imported';
    };

export type DataSpec =
  | { kind: 'task'; task: TaskConfig }
  | {
      kind: 'corpus';
      /** A prepared corpus, or `user`: the text file a person gave the app (browser only). */
      corpus: 'sotu' | 'moby' | 'user';
      /** Characters per example: a prompt of `promptLength`, then its continuation. */
      window: number;
      promptLength: number;
      testExamples: number;
      /** Seed of the held-out windows: the preset's, whatever a run's seeds. */
      testSeed: number;
    };

export interface Preset {
  name: string;
  description: string;
  data: DataSpec;
  base: BaseSpec;
  /** How the fine-tuned teacher (the `ft` model) is made from the base, on the preset's data (none: the imported model is the teacher). */
  teacherRecipe?: Recipe;
  /** Knob defaults for this preset (over the method's). */
  defaults: Partial<DistillConfig>;
  /** Per-method knob defaults (over `defaults`), e.g. a higher learning rate for LoRA. */
  methodDefaults?: Partial<Record<Method, Partial<DistillConfig>>>;
}

const LORA_LR = (lr: number): Preset['methodDefaults'] => ({ lora: { lr }, 'kd-lora': { lr }, 'sti-lora': { lr }, gkd: { lr }, skd: { lr } });

/** The speech-pretrained base that the corpus and long-task presets start from. */
export const SPEECH_BASE = 'speech-4x128';

/**
 * The bases `npm run pretrain` makes on the State of the Union speeches, by name. Windows are
 * `window` characters (128 ≈ 25 words); the position table is longer (`positions`) so fine-tuned
 * tasks can be tested on longer sequences — positions past the window are never trained there,
 * which is part of what those tests measure.
 */
export const PRETRAINED_BASES: Record<string, { nLayer: number; nHead: number; dModel: number; window: number; positions: number }> = {
  'speech-4x128': { nLayer: 4, nHead: 4, dModel: 128, window: 128, positions: 256 },
  'speech-2x64': { nLayer: 2, nHead: 2, dModel: 64, window: 64, positions: 128 },
};

/** The cycle task's alphabet: 16 letters, the separator and EOS. */
const LETTERS = 'abcdefghijklmnop=.';

export const PRESETS: Record<string, Preset> = {
  tiny: {
    name: 'tiny',
    description: 'reverse strings of 2–6 letters (tested up to 8); a 4-layer × 32 teacher and a 2-layer student — small enough for a browser test on a software GPU',
    // An eighth of the inputs (by a hash of the prompt) is kept for testing: the base and the teacher never train on them.
    data: { kind: 'task', task: { task: 'reverse', trainLengths: [2, 6], testLengths: [2, 4, 6, 8], testPerLength: 16, testSeed: 9001, holdOut: 0.125 } },
    base: {
      kind: 'recipe',
      arch: { nLayer: 4, nHead: 2, dModel: 32, dFF: 64 },
      seed: 1234,
      // The base learns generic string work (copy, sort); reversing is left to fine-tuning.
      recipe: { steps: 300, lr: 3e-3, batchSize: 32, seedData: 76, task: { task: 'copy', mix: ['sort'], trainLengths: [2, 8], testLengths: [8], testPerLength: 16, testSeed: 9000, holdOut: 0.125 } },
    },
    teacherRecipe: { steps: 500, lr: 3e-3, batchSize: 32, seedData: 77 },
    defaults: { steps: 200, batchSize: 16, lr: 3e-3, topK: 3, evalEvery: 50, loraRank: 8, loraAlpha: 16 },
    methodDefaults: LORA_LR(1e-2),
  },
  'reverse-long': {
    name: 'reverse-long',
    description: 'reverse strings of up to 32 letters, tested up to 96 (where errors accumulate); the speech-pretrained 4 × 128 base',
    data: { kind: 'task', task: { task: 'reverse', symbols: 'abcdefghijklmnopqrstuvwxyz', sep: ':', corpusAlphabet: true, trainLengths: [4, 32], testLengths: [8, 16, 32, 48, 64, 96], testPerLength: 16, testSeed: 9002 } },
    base: { kind: 'checkpoint', name: SPEECH_BASE },
    // Phase 1 learns the task on strings of 4–32 letters but still slips on the first letters of the
    // longest ones (where the answer attends furthest back, and a 32-letter batch is 1 in 29); phase 2
    // continues at a tenth of the learning rate on strings of 16–32 letters only.
    teacherRecipe: { steps: 3000, lr: 1e-3, batchSize: 16, seedData: 81, then: { steps: 1000, lr: 1e-4, batchSize: 16, seedData: 181, trainLengths: [16, 32] } },
    defaults: { steps: 500, batchSize: 8, lr: 1e-3, topK: 5, evalEvery: 100 },
    methodDefaults: LORA_LR(3e-3),
  },
  'cycle-ext': {
    name: 'cycle-ext',
    description: 'follow a cycle of 3–8 letters for twice its length ("dbeac=e" → "acdbeacdbe."), tested up to 12 letters, from a base that already follows cycles of 3–5: fine-tuning extends it to longer cycles, where one slip puts the rest on the wrong place; a 4-layer × 64 teacher trained on all test lengths, a 3-layer student',
    data: { kind: 'task', task: { task: 'cycle', alphabet: LETTERS, trainLengths: [3, 8], testLengths: [4, 6, 8, 10, 12], testPerLength: 16, testSeed: 9009, holdOut: 0.125 } },
    base: {
      kind: 'recipe',
      arch: { nLayer: 4, nHead: 4, dModel: 64, dFF: 128 },
      seed: 2347,
      recipe: { steps: 1500, lr: 3e-3, batchSize: 32, seedData: 79, task: { task: 'cycle', alphabet: LETTERS, trainLengths: [3, 5], testLengths: [5], testPerLength: 16, testSeed: 9011, holdOut: 0.125 } },
    },
    teacherRecipe: { steps: 1500, lr: 3e-3, batchSize: 32, seedData: 87, trainLengths: [3, 12], then: { steps: 1500, lr: 1e-3, batchSize: 32, seedData: 187, trainLengths: [3, 12] } },
    // The student keeps 3 of the 4 blocks: with every other block (2 of 4) it loses the base's
    // cycle-following entirely (exact match 0 before and after 300 steps, ROUGE-L 0.31), and no method recovers it.
    defaults: { steps: 300, batchSize: 16, lr: 3e-3, topK: 3, evalEvery: 100, loraRank: 8, loraAlpha: 16, studentBlocks: 3 },
    methodDefaults: LORA_LR(1e-2),
  },
  'moby-dick': {
    name: 'moby-dick',
    description: 'adapt the speech-pretrained base to Melville: continue 64 characters of Moby Dick by 64 (perplexity, word ROUGE-L)',
    data: { kind: 'corpus', corpus: 'moby', window: 128, promptLength: 64, testExamples: 64, testSeed: 9004 },
    base: { kind: 'checkpoint', name: SPEECH_BASE },
    teacherRecipe: { steps: 1000, lr: 1e-3, batchSize: 8, seedData: 83 },
    defaults: { steps: 300, batchSize: 8, lr: 1e-3, topK: 10, evalEvery: 100 },
    methodDefaults: LORA_LR(3e-3),
  },
  'bring-gpt2': {
    name: 'bring-gpt2',
    description: 'bring a GPT-2-family model (import it first, by its Hugging Face id or its files): it is the teacher, and its every-other-layer student learns to continue 64 tokens of Moby Dick by 64 — the memory panel shows teacher, student, adapter and optimiser bytes',
    data: { kind: 'corpus', corpus: 'moby', window: 128, promptLength: 64, testExamples: 16, testSeed: 9005 },
    base: { kind: 'imported' },
    defaults: { method: 'sti-lora', steps: 100, batchSize: 4, lr: 1e-4, topK: 10, evalEvery: 50 },
    methodDefaults: LORA_LR(1e-3),
  },
  'your-text': {
    name: 'your-text',
    description: 'your own .txt file (it stays in the browser): continue 64 characters by 64, 90% of it for training, the last 10% held out; the speech-pretrained base',
    data: { kind: 'corpus', corpus: 'user', window: 128, promptLength: 64, testExamples: 16, testSeed: 9006 },
    base: { kind: 'checkpoint', name: SPEECH_BASE },
    teacherRecipe: { steps: 300, lr: 1e-3, batchSize: 8, seedData: 84 },
    defaults: { steps: 200, batchSize: 8, lr: 1e-3, topK: 10, evalEvery: 50 },
    methodDefaults: LORA_LR(3e-3),
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);

/** The preset the Paper table view suggests: the one where the paper's long-sequence claim is measured (docs/results). */
export const SUGGESTED_PAPER_PRESET = 'cycle-ext';

/** What a preset's base is, in words: its shipped checkpoint, a recipe, or the model brought in. */
export function baseLabel(p: Preset): string {
  return p.base.kind === 'checkpoint' ? `the shipped checkpoint ${p.base.name}` : p.base.kind === 'recipe' ? 'a base made from its recipe' : 'the model you bring (the import, or --teacher DIR)';
}

/** A preset's teacher recipe, or an error saying where its teacher comes from instead. */
export function teacherRecipeOf(p: Preset): Recipe {
  if (!p.teacherRecipe) throw new Error(`preset ${p.name} has no teacher recipe: its teacher is the model you bring (the app's import, or --teacher DIR)`);
  return p.teacherRecipe;
}

export function getPreset(name: string): Preset {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset ${JSON.stringify(name)}; valid: ${PRESET_NAMES.join(', ')}`);
  return p;
}
