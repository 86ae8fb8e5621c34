/**
 * Node-side ModelProvider: a preset's base and teacher checkpoints are made from their recipes on
 * first use and cached under .cache/checkpoints/ (safetensors), so later runs start at once.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { baseKey, teacherKey, trainBase, trainTeacher } from '../../src/distill/checkpoints';
import type { ModelProvider, ProvidedModel } from '../../src/distill/run';
import type { StepRecord } from '../../src/distill/trainer';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint';
import type { Transformer } from '../../src/model/transformer';

export const CACHE_DIR = '.cache/checkpoints';

async function cached(what: string, key: string, steps: number, make: (onStep: (r: StepRecord) => void) => Promise<Transformer>): Promise<ProvidedModel> {
  const file = `${CACHE_DIR}/${key}.safetensors`;
  if (existsSync(file)) return { model: loadCheckpoint(new Uint8Array(readFileSync(file))), origin: `${what}, cached in ${file}` };
  process.stderr.write(`no shipped ${what} yet: training it (${steps} steps)…\n`);
  const t0 = Date.now();
  const model = await make((r) => {
    if (r.step % 100 === 0 || r.step === steps - 1) process.stderr.write(`  ${what}: step ${r.step + 1}/${steps}  loss ${r.loss.toFixed(4)}\n`);
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, (await saveCheckpoint(model)).safetensors);
  return { model, origin: `${what}, trained here in ${((Date.now() - t0) / 1000).toFixed(0)} s, cached in ${file}` };
}

export const cachedModels: ModelProvider = {
  base: (preset) => cached(`base of preset ${preset.name}`, baseKey(preset), preset.baseRecipe.steps, (on) => trainBase(preset, on)),
  teacher: (preset, base) =>
    cached(`ft teacher of preset ${preset.name}`, teacherKey(preset), preset.teacherRecipe.steps, (on) => trainTeacher(preset, base, on)),
};
