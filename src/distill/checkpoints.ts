/**
 * The checkpoints a run starts from: the preset's pretrained base (its seeded initialisation
 * trained by the base recipe) and its teacher, the `ft` model (the base fully fine-tuned on the
 * task by the teacher recipe). Until shipped checkpoints exist, hosts make them from the recipes
 * on first use and may cache them (the CLI keeps them under .cache/).
 */
import type { Transformer } from '../model/transformer';
import type { Preset, Recipe } from '../data/presets';
import { taskSource } from '../data/source';
import { initialModel } from './models';
import { resolveConfig } from './run';
import { type StepRecord, Trainer } from './trainer';

async function trainCE(preset: Preset, start: Transformer, recipe: Recipe, onStep?: (r: StepRecord) => void): Promise<Transformer> {
  const cfg = resolveConfig({
    preset: preset.name,
    method: 'ft',
    steps: recipe.steps,
    lr: recipe.lr,
    batchSize: recipe.batchSize,
    seedData: recipe.seedData,
    warmupSteps: Math.min(50, Math.floor(recipe.steps / 10)),
    heatmapEvery: 0,
    rankEvery: 0,
  });
  const trainer = await Trainer.create(cfg, taskSource(preset.task), start, null);
  for (let s = 0; s < recipe.steps; s++) onStep?.(await trainer.trainStep());
  return trainer.release();
}

/** Pretrains the preset's base from its seeded initialisation (owned by the caller). */
export async function trainBase(preset: Preset, onStep?: (r: StepRecord) => void): Promise<Transformer> {
  const init = initialModel(preset);
  const { task, ...recipe } = preset.baseRecipe;
  try {
    return await trainCE({ ...preset, task }, init, recipe, onStep);
  } finally {
    for (const t of Object.values(init.weights)) t.dispose();
  }
}

/** Fine-tunes a copy of `base` on the preset's task by its teacher recipe (owned by the caller). */
export function trainTeacher(preset: Preset, base: Transformer, onStep?: (r: StepRecord) => void): Promise<Transformer> {
  return trainCE(preset, base, preset.teacherRecipe, onStep);
}

const recipeKey = (r: Recipe) => `s${r.steps}-lr${r.lr}-b${r.batchSize}-sd${r.seedData}`;

/** Identifies a base recipe, for cache file names. */
export function baseKey(preset: Preset): string {
  const t = preset.baseRecipe.task;
  return `${preset.name}-base-init${preset.baseSeed}-${[t.task, ...(t.mix ?? [])].join('+')}-${recipeKey(preset.baseRecipe)}`;
}

/** Identifies a teacher recipe (and the base it starts from), for cache file names. */
export function teacherKey(preset: Preset): string {
  return `${baseKey(preset).replace('-base-', '-teacher-')}-ft-${preset.task.task}-${recipeKey(preset.teacherRecipe)}`;
}
