/**
 * The checkpoints a run starts from, made by recipes: a preset's base (when it is a recipe: its
 * seeded initialisation trained on a task mix) and its teacher, the `ft` model (the base fully
 * fine-tuned on the preset's data). A recipe is one or more phases of cross-entropy training, each
 * continuing from the last one's weights with its own learning-rate schedule and data seed.
 * Hosts make them on first use (and may cache them); `npm run finetune` makes the shipped ones.
 * Both go through trainRecipe, the one phase trainer.
 */
import type { Transformer } from '../model/transformer';
import { type DataSource, taskSource } from '../data/source';
import type { TaskConfig } from '../data/tasks';
import type { DistillConfig } from '../config/knobs';
import { type Preset, type Recipe, recipePhases, recipeSteps, teacherRecipeOf, baseLabel } from '../config/presets';
import { resolveConfig } from '../config/resolve';
import type { EvalRecord, StepRecord } from '../protocol/records';
import { StepDriver } from './driver';
import { disposeModel, initialModel } from './models';
import { Trainer } from './trainer';

/** The `ft` run of one recipe phase, under its preset's defaults (warm-up a tenth of its steps, at most 50). */
export function phaseConfig(phase: Recipe, preset: string): DistillConfig {
  return resolveConfig({
    preset,
    method: 'ft',
    steps: phase.steps,
    lr: phase.lr,
    batchSize: phase.batchSize,
    seedData: phase.seedData,
    warmupSteps: Math.min(50, Math.floor(phase.steps / 10)),
    evalEvery: 0,
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

export interface RecipeHooks {
  /** A phase starts (after its starting evaluation, when evaluating). */
  onPhaseStart?(phase: number): void;
  /** Every step; `done` and `of` count over all the phases run. */
  onStep?(rec: StepRecord, done: number, of: number): void;
  /** A phase is over: `model` is its result (still owned by the trainer of the recipe: copy what you need). */
  onPhaseEnd?(phase: number, model: Transformer, evals: { start: EvalRecord | null; end: EvalRecord | null }): Promise<void> | void;
  /** Asked before every step: true stops the recipe after the phase under way stops. */
  shouldStop?(doneInPhase: number): boolean;
}

export interface RecipeRun {
  /** The preset whose defaults the phases run under. */
  preset: string;
  data: DataSource;
  /** What phase `from` starts from (not consumed). */
  start: Transformer;
  recipe: Recipe;
  /** Phases to run, 1-based, inclusive (default: all). */
  from?: number;
  to?: number;
  /** Evaluate on the test set before and after each phase. */
  evaluate?: boolean;
}

/** Runs phases `from`…`to` of a recipe in turn; returns the last phase's model (the caller owns it). */
export async function trainRecipe(r: RecipeRun, hooks: RecipeHooks = {}): Promise<Transformer> {
  const phases = recipePhases(r.recipe);
  const from = r.from ?? 1;
  const to = r.to ?? phases.length;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 1 && from <= to && to <= phases.length)) throw new Error(`phases ${from}…${to}: this recipe has phases 1…${phases.length}`);
  const of = phases.slice(from - 1, to).reduce((n, p) => n + p.steps, 0);
  let model = r.start;
  let before = 0;
  try {
    for (let k = from; k <= to; k++) {
      const phase = phases[k - 1]!;
      const trainer = await Trainer.create(phaseConfig(phase, r.preset), phaseData(r.data, phase), model, null);
      if (model !== r.start) disposeModel(model);
      model = r.start; // the trainer holds its own copy now
      const driver = new StepDriver(trainer, { evaluate: r.evaluate ? undefined : null });
      const evals: EvalRecord[] = [];
      try {
        const first = await driver.start();
        if (first) evals.push(first);
        hooks.onPhaseStart?.(k);
        await driver.run({ onStep: (rec, done) => hooks.onStep?.(rec, before + done, of), onEval: (e) => evals.push(e), shouldStop: hooks.shouldStop }, { start: false });
      } catch (e) {
        trainer.dispose();
        throw e;
      }
      before += phase.steps;
      model = trainer.release();
      await hooks.onPhaseEnd?.(k, model, { start: evals[0] ?? null, end: evals.length > 1 ? evals.at(-1)! : null });
      if (driver.done < phase.steps) break; // stopped
    }
    return model;
  } catch (e) {
    if (model !== r.start) disposeModel(model);
    throw e;
  }
}

/** What a recipe base starts from: its seeded initialisation (owned by the caller), its task data and recipe. */
export function baseRecipeStart(preset: Preset, presetData: DataSource): { start: Transformer; data: DataSource; recipe: Recipe } {
  if (preset.base.kind !== 'recipe') throw new Error(`preset ${preset.name} starts from ${baseLabel(preset)}`);
  const { task, ...recipe } = preset.base.recipe;
  return { start: initialModel(preset, presetData), data: taskSource(task), recipe };
}

/** Pretrains a recipe base from its seeded initialisation (owned by the caller). */
export async function trainBase(preset: Preset, data: DataSource, onStep?: RecipeHooks['onStep']): Promise<Transformer> {
  const b = baseRecipeStart(preset, data);
  try {
    return await trainRecipe({ preset: preset.name, data: b.data, start: b.start, recipe: b.recipe }, { onStep });
  } finally {
    disposeModel(b.start);
  }
}

/** Fine-tunes a copy of `base` on the preset's data by its teacher recipe (owned by the caller). */
export function trainTeacher(preset: Preset, base: Transformer, data: DataSource, onStep?: RecipeHooks['onStep']): Promise<Transformer> {
  return trainRecipe({ preset: preset.name, data, start: base, recipe: teacherRecipeOf(preset) }, { onStep });
}

/** Steps of what trainBase or trainTeacher runs. */
export const baseSteps = (preset: Preset): number => (preset.base.kind === 'recipe' ? recipeSteps(preset.base.recipe) : 0);

const recipeKey = (r: Recipe): string => recipePhases(r).map((p) => `s${p.steps}-lr${p.lr}-b${p.batchSize}-sd${p.seedData}${p.trainLengths ? `-len${p.trainLengths.join('-')}` : ''}`).join('-then-');

/** A task's hold-out share, where it has one: checkpoints trained before (or without) it are other checkpoints. */
const heldKey = (t: TaskConfig): string => (t.holdOut === undefined ? '' : `-held${t.holdOut}`);

/** Identifies a base, for cache file names. */
export function baseKey(preset: Preset): string {
  const b = preset.base;
  if (b.kind === 'checkpoint') return b.name;
  if (b.kind === 'imported') throw new Error(`preset ${preset.name} starts from the model you bring: it has no base of its own`);
  const t = b.recipe.task;
  return `${preset.name}-base-init${b.seed}-${[t.task, ...(t.mix ?? [])].join('+')}${heldKey(t)}-${recipeKey(b.recipe)}`;
}

/** Identifies a teacher recipe and the base it starts from, for cache file names. */
export function teacherKey(preset: Preset): string {
  const d = preset.data;
  const on = d.kind === 'task' ? `${d.task.task}${heldKey(d.task)}` : d.corpus;
  return `${preset.name}-teacher-from-${baseKey(preset)}-ft-${on}-${recipeKey(teacherRecipeOf(preset))}`;
}
