/**
 * What the page's controls do, as actions on the store: choosing a preset, a method or a knob's
 * value (each keeps the link in step and resets a run made with other settings), the backend and
 * the view, a person's own text, and downloading or loading a run.
 */
import { type DistillConfig, type Knob, type Method, parseKnob } from '../config/knobs';
import { PRESETS, PRESET_NAMES } from '../config/presets';
import { defaultsFor } from '../config/resolve';
import { checkUserText, splitUserText } from '../data/userText';
import type { BackendName } from '../protocol/backend';
import { doneAfter } from '../protocol/records';
import { zipSync } from 'fflate';
import { clearImport, exportHf, exportWeights, importModel, loadWeights, prepare, reset, sendUserText, startEngine } from './engine';
import type { ModelSource } from '../protocol/messages';
import { leaveLessons, openLessons } from './lessons';
import { pushUrl } from './link';
import { metrics } from './metrics';
import { download, saveLastRun, showRun, snapshot } from './persist';
import { parseRunFile } from './run-file';
import { useApp } from './store';
import type { PageState, View } from './url';

/** A preset and method with their defaults: a new run. */
export function choose(preset: string, method: Method): void {
  useApp.getState().set({ config: defaultsFor(preset, method) });
  pushUrl();
  void reset();
}

/** Sets one knob from the text typed for it; returns why it was refused, or null. */
export function setKnob(k: Knob, text: string): string | null {
  let value: DistillConfig[keyof DistillConfig];
  try {
    value = parseKnob(k, text.trim(), PRESET_NAMES);
  } catch (e) {
    return (e as Error).message;
  }
  useApp.getState().set({ config: { ...useApp.getState().config, [k.key]: value } as DistillConfig });
  pushUrl();
  if (useApp.getState().runInfo) void reset();
  return null;
}

/** Sets one of the page's settings (the paper table's budget) from its text; returns why it was refused, or null. */
export function setPageValue(k: Knob<'paperSteps' | 'paperSeeds'>, text: string): string | null {
  try {
    const value = parseKnob(k, text.trim()) as number;
    useApp.getState().set({ page: { ...useApp.getState().page, [k.key]: value } as PageState });
    pushUrl();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Shows a view; entering or leaving the lessons swaps the person's config with the lesson's. */
export function setView(view: View): void {
  const from = useApp.getState().page.view;
  if (view === from) return;
  if (view === 'lessons') return void openLessons();
  if (from === 'lessons') return void leaveLessons(view);
  useApp.getState().set({ page: { ...useApp.getState().page, view } });
  pushUrl();
}

/** Restarts the engine on a backend (null: the first that works). */
export function setBackend(backend: BackendName | null): void {
  useApp.getState().set({ backend });
  pushUrl();
  void startEngine();
}

/**
 * A person's .txt file becomes the your-text preset's corpus: checked (refused with the reason:
 * empty, binary, too large, too short, mostly characters the model cannot read), normalised,
 * split 90/10 and sent to the engine. Returns a line saying what was taken.
 */
export async function useTextFile(file: File): Promise<string> {
  const preset = PRESETS['your-text']!;
  const window = preset.data.kind === 'corpus' ? preset.data.window : 128;
  const alphabet = await textAlphabet();
  const { text, unknownShare, unknown } = checkUserText(new Uint8Array(await file.arrayBuffer()), file.name, 10 * window, alphabet);
  const { train, test } = splitUserText(text);
  await sendUserText({ name: file.name, train, test });
  choose('your-text', useApp.getState().config.method);
  const share = unknownShare > 0 ? `; ${(100 * unknownShare).toFixed(1)}% of its characters are outside the model's alphabet (${JSON.stringify(unknown)}) and read as one unknown token` : '';
  return `${file.name} (${text.length} characters${share})`;
}

/** The alphabet of the speech base that your-text continues (the prepared corpus's). */
async function textAlphabet(): Promise<string> {
  const r = await fetch(new URL(`${import.meta.env.BASE_URL}data/manifest.json`, location.href));
  if (!r.ok) throw new Error('data/manifest.json is missing from this build: run npm run prepare-data');
  return ((await r.json()) as { alphabet: string }).alphabet;
}

/** The Hub's address, the default base of an import by id (a mirror or a local static server works too). */
export const HF_HUB = 'https://huggingface.co';

/**
 * Brings a GPT-2-family model in by its Hugging Face id (fetched from `base`) or from its files,
 * and makes the preset made for it the current one. A failure is shown and changes nothing else.
 */
export async function importHfModel(source: { id: string; base: string } | { files: File[] }): Promise<void> {
  const src: ModelSource = 'id' in source ? { kind: 'hub', id: source.id.trim(), base: source.base.trim() || HF_HUB } : { kind: 'files', files: await Promise.all(source.files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))) };
  await importModel(src);
  if (useApp.getState().imported.kind === 'ready' && PRESETS[useApp.getState().config.preset]?.base.kind !== 'imported') choose('bring-gpt2', 'sti-lora');
}

/** Back to the shipped models (and off the preset that needs an imported one). */
export async function dropHfModel(): Promise<void> {
  await clearImport();
  if (PRESETS[useApp.getState().config.preset]?.base.kind === 'imported') choose(PRESET_NAMES[0]!, useApp.getState().config.method);
}

/**
 * Downloads the live run as Hugging Face folders in one zip: student/ (a GPT-2 that transformers
 * loads; for LoRA runs the model the adapter sits on), adapter/ (PEFT) and merged/.
 */
export async function downloadHf(): Promise<void> {
  const { config, done } = useApp.getState();
  const files = await exportHf();
  download(`kd-${config.preset}-${config.method}-step${done}-hf.zip`, zipSync(files, { level: 6 }) as BlobPart, 'application/zip');
}

/** Downloads the run shown: its JSON, and for a live run its weights (and LoRA adapter). */
export async function downloadRun(): Promise<void> {
  const { config, done, restored } = useApp.getState();
  const name = `kd-${config.preset}-${config.method}-step${done}`;
  download(`${name}.json`, JSON.stringify(snapshot(), null, 1), 'application/json');
  if (restored) return; // no live weights to save
  const w = await exportWeights();
  download(`${name}.safetensors`, w.model as BlobPart, 'application/octet-stream');
  if (w.adapter) download(`${name}.lora.safetensors`, w.adapter as BlobPart, 'application/octet-stream');
}

/**
 * Loads a downloaded run. Its .json shows the run's metrics and restores its config; given its
 * .safetensors as well, the run is live again from those weights — Run or Step continues it.
 * A wrong file gets a clear message (thrown) and the page keeps what it showed.
 */
export async function loadRun(files: File[]): Promise<void> {
  // By content, not name: a run's JSON starts with '{'; a safetensors file with its header's length.
  const isJson = async (f: File) => /^\s*\{/.test(new TextDecoder().decode(await f.slice(0, 16).arrayBuffer()));
  const kinds = await Promise.all(files.map(isJson));
  const json = files.find((_, i) => kinds[i]);
  const weights = files.find((f, i) => !kinds[i] && !f.name.toLowerCase().endsWith('.lora.safetensors'));
  if (!json) throw new Error("Choose the run's .json file (and, to go on training it, its .safetensors with it).");
  const run = parseRunFile(await json.text(), json.name); // a wrong file stops here, changing nothing
  await reset();
  showRun(run);
  pushUrl();
  if (!weights) return;
  const saved = { steps: metrics.steps, evals: metrics.evals, final: metrics.final };
  const showSaved = () => {
    Object.assign(metrics, saved);
    useApp.getState().set({ restored: true, status: 'idle', done: saved.steps.length ? doneAfter(saved.steps.at(-1)!) : 0 });
    useApp.getState().bumpMetrics();
  };
  await prepare();
  if (useApp.getState().status === 'failed') return showSaved();
  let done: number;
  try {
    done = await loadWeights(new Uint8Array(await weights.arrayBuffer()), weights.name);
  } catch (e) {
    showSaved();
    throw e;
  }
  const live = metrics.evals.at(-1)!; // the loaded weights' evaluation
  metrics.steps = saved.steps.filter((r) => r.step < done);
  metrics.evals = [...saved.evals.filter((e) => e.done < done), live];
  metrics.final = done >= useApp.getState().config.steps ? saved.final : null;
  useApp.getState().set({ restored: false, done });
  useApp.getState().bumpMetrics();
  saveLastRun();
}
