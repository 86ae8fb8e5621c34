/**
 * The checkpoints a run starts from: the preset's base (a recipe base is its seeded
 * initialisation trained by its recipe; a shipped one is loaded by the host) and its teacher, the
 * `ft` model (the base fully fine-tuned on the preset's data by the teacher recipe). Hosts make
 * them on first use and may cache them (the CLI keeps them under .cache/).
 */
import type { Transformer } from '../model/transformer';
import { type Preset, type Recipe, recipePhases } from '../data/presets';
import { type DataSource, taskSource } from '../data/source';
import type { DistillConfig } from './config';
import { disposeModel, initialModel } from './models';
import { resolveConfig } from './run';
import { type StepRecord, Trainer } from './trainer';

/** The `ft` run of one recipe phase (warm-up a tenth of its steps, at most 50). */
export function phaseConfig(phase: Recipe, preset?: string): DistillConfig {
  return resolveConfig({
    ...(preset ? { preset } : {}),
    method: 'ft',
    steps: phase.steps,
    lr: phase.lr,
    batchSize: phase.batchSize,
    seedData: phase.seedData,
    warmupSteps: Math.min(50, Math.floor(phase.steps / 10)),
    heatmapEvery: 0,
    rankEvery: 0,
  });
}

/** The data one recipe phase trains on: the preset's, or its task at the phase's training lengths. */
export function phaseData(data: DataSource, phase: Recipe): DataSource {
  if (!phase.trainLengths) return data;
  if (!data.withTrainLengths) throw new Error('a recipe phase with its own training lengths needs a task preset');
  return data.withTrainLengths(phase.trainLengths);
}

/** CE training of a copy of `start` by every phase of `recipe` in turn; `onStep` counts steps over all phases. */
async function trainCE(data: DataSource, start: Transformer, recipe: Recipe, onStep?: (r: StepRecord) => void): Promise<Transformer> {
  let model = start;
  let done = 0;
  for (const phase of recipePhases(recipe)) {
    const trainer = await Trainer.create(phaseConfig(phase), phaseData(data, phase), model, null);
    if (model !== start) disposeModel(model);
    for (let s = 0; s < phase.steps; s++) {
      const rec = await trainer.trainStep();
      onStep?.({ ...rec, step: done + rec.step });
    }
    done += phase.steps;
    model = trainer.release();
  }
  return model;
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

const recipeKey = (r: Recipe): string => recipePhases(r).map((p) => `s${p.steps}-lr${p.lr}-b${p.batchSize}-sd${p.seedData}${p.trainLengths ? `-len${p.trainLengths.join('-')}` : ''}`).join('-then-');

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
