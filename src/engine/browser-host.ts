/**
 * The browser host of a run (inside the engine worker): data and checkpoints fetched from the
 * app's own origin (public/data and public/models), and anything not shipped made from its recipe
 * here, with progress reported.
 */
import type { DataManifest } from '../data/corpus';
import { type Preset, recipeSteps } from '../data/presets';
import { type DataSource, corpusSource, taskSource } from '../data/source';
import { trainBase, trainTeacher } from '../distill/checkpoints';
import type { Host, ProvidedModel } from '../distill/run';
import type { StepRecord } from '../distill/trainer';
import { readCheckpoint } from '../model/checkpoint';

export type Progress = (what: string, step: number, of: number) => void;

/** The file, or null when the server does not have it. */
async function fetchOk(url: string): Promise<Response | null> {
  const r = await fetch(url);
  // Static servers with a single-page fallback (vite preview, many hosts) answer a missing file
  // with the app's index.html and status 200: no file we fetch is HTML.
  if (r.status === 404 || (r.headers.get('content-type') ?? '').includes('text/html')) return null;
  if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
  return r;
}

/** The user's text, already checked and normalised (set by the worker on request). */
export const userText: { name: string; train: string; test: string } = { name: '', train: '', test: '' };

export function browserHost(baseUrl: string, progress: Progress): Host {
  let manifest: DataManifest | null = null;
  const getManifest = async () => {
    if (manifest) return manifest;
    const r = await fetchOk(`${baseUrl}data/manifest.json`);
    if (!r) throw new Error('data/manifest.json is missing from this build: run npm run prepare-data before building');
    manifest = (await r.json()) as DataManifest;
    return manifest;
  };
  const text = async (file: string) => {
    const r = await fetchOk(`${baseUrl}data/${file}`);
    if (!r) throw new Error(`data/${file} is missing from this build`);
    return r.text();
  };
  const shipped = async (name: string): Promise<ProvidedModel | null> => {
    const r = await fetchOk(`${baseUrl}models/${name}.safetensors`);
    if (!r) return null;
    return { model: readCheckpoint(new Uint8Array(await r.arrayBuffer())).model, origin: `shipped checkpoint models/${name}.safetensors` };
  };
  const report = (what: string, of: number) => (r: StepRecord) => progress(what, r.step + 1, of);
  return {
    async data(preset: Preset): Promise<DataSource> {
      const d = preset.data;
      if (d.kind === 'task') return taskSource(d.task.corpusAlphabet ? { ...d.task, alphabet: (await getManifest()).alphabet } : d.task);
      const m = await getManifest();
      if (d.corpus === 'user') {
        if (!userText.train) throw new Error('preset your-text needs a text file: pick or drop a .txt file first');
        return corpusSource({ train: userText.train, heldOut: userText.test, alphabet: m.alphabet, mode: 'continue', window: d.window, promptLength: d.promptLength, testExamples: d.testExamples });
      }
      return corpusSource({ train: await text(`${d.corpus}-train.txt`), heldOut: await text(`${d.corpus}-test.txt`), alphabet: m.alphabet, mode: 'continue', window: d.window, promptLength: d.promptLength, testExamples: d.testExamples });
    },
    async base(preset, data) {
      const b = preset.base;
      const found = await shipped(b.kind === 'checkpoint' ? b.name : `${preset.name}-base`);
      if (found) return found;
      if (b.kind === 'checkpoint') throw new Error(`models/${b.name}.safetensors is missing from this build (make it with npm run pretrain)`);
      const model = await trainBase(preset, data, report(`training the base of ${preset.name}`, b.recipe.steps));
      return { model, origin: `base of ${preset.name}, trained here from its recipe` };
    },
    async teacher(preset, base, data) {
      const found = await shipped(`${preset.name}-teacher`);
      if (found) return found;
      const model = await trainTeacher(preset, base, data, report(`training the teacher of ${preset.name}`, recipeSteps(preset.teacherRecipe)));
      return { model, origin: `ft teacher of ${preset.name}, trained here from its recipe` };
    },
  };
}
