/**
 * The Node host of a run: data from public/data/ (written by npm run prepare-data), shipped bases
 * and teachers from public/models/ (npm run pretrain, npm run finetune), and otherwise bases and
 * teachers made from their recipes on first use, cached under .cache/checkpoints/ so later runs
 * start at once.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DataManifest } from '../../src/data/corpus';
import { type Preset, recipeSteps } from '../../src/data/presets';
import { type DataSource, corpusSource, taskSource } from '../../src/data/source';
import { baseKey, teacherKey, trainBase, trainTeacher } from '../../src/distill/checkpoints';
import type { Host, ProvidedModel } from '../../src/distill/run';
import type { StepRecord } from '../../src/distill/trainer';
import { readCheckpoint, saveCheckpoint } from '../../src/model/checkpoint';
import type { Transformer } from '../../src/model/transformer';

export const CACHE_DIR = '.cache/checkpoints';
export const DATA_DIR = 'public/data';
export const MODELS_DIR = 'public/models';

function manifest(): DataManifest {
  const file = join(DATA_DIR, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run prepare-data`);
  return JSON.parse(readFileSync(file, 'utf8')) as DataManifest;
}

function load(file: string): Transformer {
  return readCheckpoint(new Uint8Array(readFileSync(file))).model;
}

async function cached(what: string, key: string, steps: number, make: (onStep: (r: StepRecord) => void) => Promise<Transformer>, alphabet: string): Promise<ProvidedModel> {
  const file = `${CACHE_DIR}/${key}.safetensors`;
  if (existsSync(file)) return { model: load(file), origin: `${what}, cached in ${file}` };
  process.stderr.write(`no shipped ${what} yet: training it (${steps} steps)…\n`);
  const t0 = Date.now();
  const model = await make((r) => {
    if (r.step % 100 === 0 || r.step === steps - 1) process.stderr.write(`  ${what}: step ${r.step + 1}/${steps}  loss ${r.loss.toFixed(4)}\n`);
  });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, (await saveCheckpoint(model, {}, { alphabet })).safetensors);
  return { model, origin: `${what}, trained here in ${((Date.now() - t0) / 1000).toFixed(0)} s, cached in ${file}` };
}

const alphabetOf = (data: DataSource) => data.tokenizer.alphabet.slice(1).join('');

export const nodeHost: Host = {
  async data(preset: Preset): Promise<DataSource> {
    const d = preset.data;
    if (d.kind === 'task') return taskSource(d.task.corpusAlphabet ? { ...d.task, alphabet: manifest().alphabet } : d.task);
    if (d.corpus === 'user') throw new Error(`preset ${preset.name} reads a text file given in the browser; from the command line use a preset with a prepared corpus`);
    const m = manifest();
    const read = (split: string) => readFileSync(join(DATA_DIR, `${d.corpus}-${split}.txt`), 'utf8');
    return corpusSource({ train: read('train'), heldOut: read('test'), alphabet: m.alphabet, mode: 'continue', window: d.window, promptLength: d.promptLength, testExamples: d.testExamples });
  },
  async base(preset, data) {
    const b = preset.base;
    if (b.kind === 'checkpoint') {
      const file = join(MODELS_DIR, `${b.name}.safetensors`);
      if (!existsSync(file)) throw new Error(`${file} is missing: it is made by npm run pretrain (see ${MODELS_DIR}/MODELS.md)`);
      return { model: load(file), origin: `shipped base ${file}` };
    }
    const shipped = join(MODELS_DIR, `${preset.name}-base.safetensors`);
    if (existsSync(shipped)) return { model: load(shipped), origin: `shipped base ${shipped}` };
    return cached(`base of preset ${preset.name}`, baseKey(preset), b.recipe.steps, (on) => trainBase(preset, data, on), alphabetOf(data));
  },
  async teacher(preset, base, data) {
    const shipped = join(MODELS_DIR, `${preset.name}-teacher.safetensors`);
    if (existsSync(shipped)) return { model: load(shipped), origin: `shipped ft teacher ${shipped}` };
    return cached(`ft teacher of preset ${preset.name}`, teacherKey(preset), recipeSteps(preset.teacherRecipe), (on) => trainTeacher(preset, base, data, on), alphabetOf(data));
  },
};
