/**
 * The checkpoints a run starts from: the preset's base (a recipe base is its seeded
 * initialisation trained by its recipe; a shipped one is loaded by the host) and its teacher, the
 * `ft` model (the base fully fine-tuned on the preset's data by the teacher recipe). Hosts make
 * them on first use and may cache them (the CLI keeps them under .cache/).
 */
import type { Transformer } from '../model/transformer';
import type { Preset, Recipe } from '../data/presets';
import { type DataSource, taskSource } from '../data/source';
import { initialModel } from './models';
import { resolveConfig } from './run';
import { type StepRecord, Trainer } from './trainer';

async function trainCE(data: DataSource, start: Transformer, recipe: Recipe, onStep?: (r: StepRecord) => void): Promise<Transformer> {
  const cfg = resolveConfig({
    method: 'ft',
    steps: recipe.steps,
    lr: recipe.lr,
    batchSize: recipe.batchSize,
    seedData: recipe.seedData,
    warmupSteps: Math.min(50, Math.floor(recipe.steps / 10)),
    heatmapEvery: 0,
    rankEvery: 0,
  });
  const trainer = await Trainer.create(cfg, data, start, null);
  for (let s = 0; s < recipe.steps; s++) onStep?.(await trainer.trainStep());
  return trainer.release();
}

/** Pretrains a recipe base from its seeded initialisation (owned by the caller). */
export async function trainBase(preset: Preset, data: DataSource, onStep?: (r: StepRecord) => void): Promise<Transformer> {
  if (preset.base.kind !== 'recipe') throw new Error(`preset ${preset.name} starts from a shipped checkpoint`);
  const init = initialModel(preset, data);
  const { task, ...recipe } = preset.base.recipe;
  try {
    return await trainCE(taskSource(task), init, recipe, onStep);
  } finally {
    for (const t of Object.values(init.weights)) t.dispose();
  }
}

/** Fine-tunes a copy of `base` on the preset's data by its teacher recipe (owned by the caller). */
export function trainTeacher(preset: Preset, base: Transformer, data: DataSource, onStep?: (r: StepRecord) => void): Promise<Transformer> {
  return trainCE(data, base, preset.teacherRecipe, onStep);
}

const recipeKey = (r: Recipe) => `s${r.steps}-lr${r.lr}-b${r.batchSize}-sd${r.seedData}`;

/** Identifies a base, for cache file names. */
export function baseKey(preset: Preset): string {
  const b = preset.base;
  if (b.kind === 'checkpoint') return b.name;
  const t = b.recipe.task;
  return `${preset.name}-base-init${b.seed}-${[t.task, ...(t.mix ?? [])].join('+')}-${recipeKey(b.recipe)}`;
}

/** Identifies a teacher recipe and the base it starts from, for cache file names. */
export function teacherKey(preset: Preset): string {
  const d = preset.data;
  const on = d.kind === 'task' ? d.task.task : d.corpus;
  return `${preset.name}-teacher-from-${baseKey(preset)}-ft-${on}-${recipeKey(preset.teacherRecipe)}`;
}
