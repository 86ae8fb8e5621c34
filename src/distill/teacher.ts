/**
 * The teacher of the KD methods is the preset's `ft` model: the base checkpoint fully fine-tuned
 * on the task by the preset's teacher recipe. Until shipped checkpoints exist, it is trained here
 * on first use; hosts may cache the result (the CLI keeps it under .cache/).
 */
import type { Transformer } from '../model/transformer';
import type { Preset } from '../data/presets';
import { resolveConfig } from './run';
import { type StepRecord, Trainer } from './trainer';

/** Fine-tunes a copy of `base` by the preset's teacher recipe; returns the trained model (owned by the caller). */
export async function trainTeacher(preset: Preset, base: Transformer, onStep?: (r: StepRecord) => void): Promise<Transformer> {
  const r = preset.teacherRecipe;
  const cfg = resolveConfig({
    preset: preset.name,
    method: 'ft',
    steps: r.steps,
    lr: r.lr,
    batchSize: r.batchSize,
    seedData: r.seedData,
    warmupSteps: Math.min(50, Math.floor(r.steps / 10)),
    heatmapEvery: 0,
    rankEvery: 0,
  });
  const trainer = await Trainer.create(cfg, preset, base, null);
  for (let s = 0; s < r.steps; s++) onStep?.(await trainer.trainStep());
  return trainer.release();
}

/** Identifies a teacher recipe, for cache file names. */
export function teacherKey(preset: Preset): string {
  const r = preset.teacherRecipe;
  return `${preset.name}-base${preset.baseSeed}-ft${r.steps}-lr${r.lr}-b${r.batchSize}-sd${r.seedData}`;
}
