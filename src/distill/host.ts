/**
 * What a run needs from where it runs — the preset's data, its base and its frozen teacher — made
 * the same way in Node and in the browser. The two hosts differ only in how they reach files
 * (HostFiles: the disk under public/, or fetches from the app's origin) and whether they keep
 * checkpoints made from recipes between runs.
 */
import { readCheckpoint, saveCheckpoint } from '../model/checkpoint';
import type { Transformer } from '../model/transformer';
import type { DataManifest } from '../data/corpus';
import { type DataSource, corpusSource, taskSource } from '../data/source';
import { type Preset, recipeSteps, teacherRecipeOf } from '../config/presets';
import type { UserText } from '../protocol/messages';
import { type BpeTokenizer, CharwiseTokenizer } from '../data/bpe';
import { baseKey, baseSteps, teacherKey, trainBase, trainTeacher } from './recipes';
import { disposeModel } from './models';

export interface ProvidedModel {
  model: Transformer;
  /** Where it came from, for the output (e.g. "shipped public/models/x.safetensors"). */
  origin: string;
}

/** Supplies a run's data, base and (for the KD methods) teacher; the run owns the models it gets. */
export interface Host {
  data(preset: Preset): Promise<DataSource>;
  base(preset: Preset, data: DataSource): Promise<ProvidedModel>;
  teacher(preset: Preset, base: Transformer, data: DataSource): Promise<ProvidedModel>;
}

/** How a host reaches files. Paths are relative to the app's static root (`data/…`, `models/…`). */
export interface HostFiles {
  /** A text file, or null when it is not there. */
  text(path: string): Promise<string | null>;
  /** A binary file, or null when it is not there. */
  bytes(path: string): Promise<Uint8Array | null>;
  /** The phrase for a missing file, e.g. "public/data/x is missing" or "data/x is missing from this build". */
  missing(path: string): string;
  /** The name of a file for messages, e.g. "public/models/x.safetensors". */
  label(path: string): string;
  /** Where checkpoints made here from recipes are kept between runs (none: made again each time). */
  cache?: { get(key: string): Promise<Uint8Array | null>; put(key: string, bytes: Uint8Array): Promise<void>; label(key: string): string };
  /** The person's own text (hosts with a page only; undefined: this host cannot take one). */
  userText?(): UserText | null;
  /** Progress of a checkpoint being made here: `done` of `of` steps. */
  progress(what: string, done: number, of: number): void;
}

/** The prepared corpora's manifest (alphabet, files). */
export async function readManifest(files: HostFiles): Promise<DataManifest> {
  const text = await files.text('data/manifest.json');
  if (text === null) throw new Error(`${files.missing('data/manifest.json')}: run npm run prepare-data`);
  return JSON.parse(text) as DataManifest;
}

/**
 * A preset's data source: a task (with the corpus alphabet where it asks for it) or windows of a
 * corpus — or, with an imported model's tokenizer, the same data through it: tasks a character
 * per token of its vocabulary, corpora cut in its ids (windows of as many tokens as the preset's
 * characters).
 */
export async function presetData(preset: Preset, files: HostFiles, manifest: () => Promise<DataManifest> = () => readManifest(files), imported?: BpeTokenizer): Promise<DataSource> {
  const d = preset.data;
  if (d.kind === 'task') {
    if (imported) return taskSource({ ...d.task, corpusAlphabet: false, tokenizer: new CharwiseTokenizer(imported) });
    return taskSource(d.task.corpusAlphabet ? { ...d.task, alphabet: (await manifest()).alphabet } : d.task);
  }
  const corpus = (train: string, heldOut: string, alphabet: string) =>
    corpusSource({ train, heldOut, alphabet, tokenizer: imported, mode: 'continue', window: d.window, promptLength: d.promptLength, testExamples: d.testExamples, testSeed: d.testSeed });
  if (d.corpus === 'user') {
    if (!files.userText) throw new Error(`preset ${preset.name} reads a text file given in the browser; from the command line use a preset with a prepared corpus`);
    const t = files.userText();
    if (!t) throw new Error(`preset ${preset.name} needs a text file: pick or drop a .txt file first`);
    return corpus(t.train, t.test, (await manifest()).alphabet);
  }
  const m = await manifest();
  const read = async (split: string) => {
    const path = `data/${d.corpus}-${split}.txt`;
    const text = await files.text(path);
    if (text === null) throw new Error(`${files.missing(path)}: run npm run prepare-data`);
    return text;
  };
  return corpus(await read('train'), await read('test'), m.alphabet);
}

export function createHost(files: HostFiles): Host {
  let manifest: Promise<DataManifest> | null = null;
  const getManifest = () => (manifest ??= readManifest(files).catch((e) => ((manifest = null), Promise.reject(e))));
  const shipped = async (name: string): Promise<ProvidedModel | null> => {
    const path = `models/${name}.safetensors`;
    const bytes = await files.bytes(path);
    return bytes ? { model: readCheckpoint(bytes).model, origin: `shipped ${files.label(path)}` } : null;
  };
  /** A checkpoint made here from its recipe, or found where an earlier run kept it. */
  const made = async (what: string, key: string, of: number, make: (onStep: (done: number) => void) => Promise<Transformer>, data: DataSource): Promise<ProvidedModel> => {
    const cached = await files.cache?.get(key);
    if (cached) return { model: readCheckpoint(cached).model, origin: `${what}, cached in ${files.cache!.label(key)}` };
    const t0 = Date.now();
    files.progress(`training the ${what}`, 0, of);
    const model = await make((done) => files.progress(`training the ${what}`, done, of));
    const took = `trained here from its recipe in ${((Date.now() - t0) / 1000).toFixed(0)} s`;
    if (!files.cache) return { model, origin: `${what}, ${took}` };
    await files.cache.put(key, (await saveCheckpoint(model, {}, data.tokenizer.toJSON())).safetensors); // (recipes run on our own tokenizers only)
    return { model, origin: `${what}, ${took}, cached in ${files.cache.label(key)}` };
  };
  return {
    data: (preset) => presetData(preset, files, getManifest),
    async base(preset, data) {
      const b = preset.base;
      if (b.kind === 'imported') throw new Error(`preset ${preset.name} runs on a model you bring: import one first (a Hugging Face id or its files, in the app), or name its folder with --teacher DIR`);
      const found = await shipped(b.kind === 'checkpoint' ? b.name : `${preset.name}-base`);
      if (found) return found;
      if (b.kind === 'checkpoint') throw new Error(`${files.missing(`models/${b.name}.safetensors`)}: it is made by npm run pretrain (see public/models/MODELS.md)`);
      return made(`base of ${preset.name}`, baseKey(preset), baseSteps(preset), (on) => trainBase(preset, data, (_, done) => on(done)), data);
    },
    async teacher(preset, base, data) {
      const found = await shipped(`${preset.name}-teacher`);
      if (found) return found;
      return made(`teacher of ${preset.name}`, teacherKey(preset), recipeSteps(teacherRecipeOf(preset)), (on) => trainTeacher(preset, base, data, (_, done) => on(done)), data);
    },
  };
}

/** A model brought in (a Hugging Face GPT-2 folder, read from disk or fetched): read afresh each time a run asks. */
export interface ImportedModel {
  read(): Promise<{ model: Transformer; tokenizer: BpeTokenizer }>;
  /** Where it came from, for the output (e.g. "Hugging Face folder models/gpt2"). */
  origin: string;
}

/**
 * The host of a run on imported models: the preset's data through the teacher's tokenizer, the
 * imported teacher as the KD rows' teacher (as it is: not fine-tuned on the preset first), and as
 * the base of the student (every other block) and of the `ft` / `lora` rows — or `base` where one
 * is given (it must share the teacher's tokenizer).
 */
export function importedHost(files: HostFiles, teacher: ImportedModel, base?: ImportedModel): Host {
  let tokenizer: Promise<BpeTokenizer> | null = null;
  const teacherTokenizer = () =>
    (tokenizer ??= teacher.read().then(({ model, tokenizer: t }) => {
      disposeModel(model);
      return t;
    }));
  const from = base ?? teacher;
  return {
    data: async (preset) => presetData(preset, files, () => readManifest(files), await teacherTokenizer()),
    async base() {
      const { model, tokenizer: t } = await from.read();
      const want = await teacherTokenizer();
      if (t.toHfTokenizerJson() !== want.toHfTokenizerJson()) {
        disposeModel(model);
        throw new Error(`the base (${from.origin}) and the teacher (${teacher.origin}) have different tokenizers: a student must share its teacher's`);
      }
      return { model, origin: from.origin };
    },
    async teacher() {
      return { model: (await teacher.read()).model, origin: teacher.origin };
    },
  };
}
