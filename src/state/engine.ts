/**
 * Glue between the store and the engine worker: starting the backend, preparing and driving a
 * run, and folding the worker's events into the store and the metric buffers (the store's
 * version is bumped at most every 200 ms). Also keeps the URL and the config in step.
 */
import { defaultsFor } from '../distill/resolve';
import { EngineClient } from '../engine/client';
import { unpackSteps } from '../engine/step-batch';
import type { EngineEvent } from '../engine/protocol';
import { paperConfig } from '../distill/paper-plan';
import { clearMetrics, metrics } from './metrics';
import { parseRunFile, saveLastRun, showRun } from './persist';
import { useApp } from './store';
import { type UrlState, decodeState, encodeState } from './url';

export const client = new EngineClient();
let bumpTimer: ReturnType<typeof setTimeout> | null = null;

function scheduleBump(): void {
  if (bumpTimer) return;
  bumpTimer = setTimeout(() => {
    bumpTimer = null;
    useApp.getState().bumpMetrics();
  }, 200);
}

function onEvent(e: EngineEvent): void {
  const set = useApp.getState().set;
  const paper = useApp.getState().paper;
  switch (e.kind) {
    case 'deviceLost': {
      const engine = useApp.getState().engine;
      set({ engine: { kind: 'lost', message: e.message, info: engine.kind === 'ready' ? engine.info : null }, restored: metrics.steps.length > 0 });
      saveLastRun();
      break;
    }
    case 'paperStep':
      set({ paper: { ...paper, current: { method: e.method, seed: e.seed, step: e.step, of: e.of } }, progress: null });
      break;
    case 'paperRun':
      set({ paper: { ...paper, runs: { ...paper.runs, [e.method]: [...(paper.runs[e.method] ?? []), e.final] } } });
      break;
    case 'paperStatus':
      set({
        paper: { ...paper, status: e.status, message: e.message, current: e.status === 'running' ? paper.current : null, wallSeconds: e.status === 'running' ? null : Math.round((Date.now() - paper.startedAt) / 1000) },
        progress: e.status === 'running' ? useApp.getState().progress : null,
      });
      break;
    case 'progress':
      set({ progress: { what: e.what, step: e.step, of: e.of } });
      break;
    case 'prepared':
      set({ runInfo: e.info, progress: null });
      break;
    case 'steps': {
      const records = unpackSteps(e.batch);
      metrics.steps.push(...records);
      set({ step: records.at(-1)!.step + 1 });
      scheduleBump();
      break;
    }
    case 'eval':
      metrics.evals.push(e.record);
      scheduleBump();
      saveLastRun();
      break;
    case 'final':
      metrics.final = e.record;
      scheduleBump();
      saveLastRun();
      break;
    case 'status':
      set({ status: e.status, step: e.step, error: e.status === 'failed' ? (e.message ?? 'the run failed') : null });
      if (e.status === 'paused' || e.status === 'done' || e.status === 'failed') saveLastRun();
      break;
  }
}
client.onEvent(onEvent);

/** Applies the URL's state (on load, back/forward); returns its notices. */
export function loadFromUrl(hash: string): void {
  const d = decodeState(hash, defaultsFor);
  useApp.getState().set({ config: d.config, backend: d.backend, hide: d.hide, page: d.page, notices: d.notices });
}

export function currentUrlState(): UrlState {
  const s = useApp.getState();
  return { config: s.config, backend: s.backend, hide: s.hide, page: s.page };
}

/** Writes the state into the URL (a new history entry, so back and forward work). */
export function pushUrl(): void {
  const hash = `#${encodeState(currentUrlState())}`;
  if (location.hash !== hash) history.pushState(null, '', hash);
}

export async function startEngine(): Promise<void> {
  const set = useApp.getState().set;
  // After a lost device the worker's GPU context is dead: start a fresh worker.
  if (useApp.getState().engine.kind === 'lost') client.dispose();
  set({ engine: { kind: 'starting' }, status: 'idle', runInfo: null, startCheck: null });
  try {
    const info = await client.request({ type: 'init', backend: useApp.getState().backend ?? undefined });
    if (userText) await client.request({ type: 'userText', ...userText });
    set({ engine: { kind: 'ready', info } });
    if (info.name !== 'cpu') {
      // A quick check that this backend's gradients agree with the CPU's (design §6).
      const r = await client.request({ type: 'selfCheck', quick: true });
      set({ startCheck: { ok: r.gradients.ok, maxGradRelErr: r.gradients.maxGradRelErr, backend: info.name } });
    }
  } catch (e) {
    set({ engine: { kind: 'error', message: (e as Error).message } });
  }
}

/** Bumped by cancel(): requests of an earlier worker then fail without it being an error. */
let generation = 0;

async function guarded(fn: () => Promise<unknown>): Promise<void> {
  const g = generation;
  try {
    await fn();
  } catch (e) {
    if (g !== generation) return; // cancelled on purpose
    useApp.getState().set({ error: (e as Error).message, status: 'failed' });
  }
}

/** The user's text, kept here too so that a fresh worker gets it again. */
let userText: { name: string; train: string; test: string } | null = null;

export async function sendUserText(t: { name: string; train: string; test: string }): Promise<void> {
  await client.request({ type: 'userText', ...t });
  userText = t;
}

/**
 * Cancels whatever the engine is doing (preparing a run, training a teacher in the browser) by
 * ending its worker — the only sure way to stop GPU work — and starts a fresh one.
 */
export async function cancel(): Promise<void> {
  generation++;
  client.dispose();
  useApp.getState().set({ status: 'idle', runInfo: null, progress: null, error: null, step: 0 });
  clearMetrics();
  useApp.getState().bumpMetrics();
  await startEngine();
}

/** Prepares the run of the current config (dropping the last run's metrics). */
export function prepare(): Promise<void> {
  clearMetrics();
  useApp.getState().set({ runInfo: null, restored: false, step: 0, error: null, progress: null });
  useApp.getState().bumpMetrics();
  return guarded(() => client.request({ type: 'prepare', config: useApp.getState().config }));
}

const needsPrepare = () => !useApp.getState().runInfo || useApp.getState().restored;

/** Prepares the run when needed, then sends `request` — unless preparing failed or was cancelled. */
async function preparedThen(request: { type: 'play' } | { type: 'step' }): Promise<void> {
  const g = generation;
  if (needsPrepare()) await prepare();
  if (g !== generation || useApp.getState().status === 'failed') return;
  await guarded(() => client.request(request));
}

export const play = () => preparedThen({ type: 'play' });

export const pause = () => guarded(() => client.request({ type: 'pause' }));

export const step = () => preparedThen({ type: 'step' });

export async function reset(): Promise<void> {
  await guarded(() => client.request({ type: 'reset' }));
  clearMetrics();
  useApp.getState().set({ runInfo: null, restored: false, status: 'idle', step: 0, error: null, progress: null });
  useApp.getState().bumpMetrics();
}

/** Starts the paper table of the current preset with the page's budget (ending any run). */
export async function runPaper(): Promise<void> {
  const s = useApp.getState();
  const plan = { preset: s.config.preset, seeds: s.page.paperSeeds, ...(s.page.paperSteps ? { steps: s.page.paperSteps } : {}) };
  const steps = paperConfig(plan, 'ft', 0).steps;
  const backend = s.engine.kind === 'ready' ? s.engine.info.name : null;
  clearMetrics();
  s.set({ runInfo: null, restored: false, status: 'idle', step: 0, error: null, progress: null });
  s.bumpMetrics();
  s.set({ paper: { status: 'running', plan: { preset: plan.preset, steps, seeds: plan.seeds }, runs: {}, current: null, backend, startedAt: Date.now(), wallSeconds: null } });
  try {
    await client.request({ type: 'paperTable', plan });
  } catch (e) {
    useApp.getState().set({ paper: { ...useApp.getState().paper, status: 'failed', message: (e as Error).message } });
  }
}

export const stopPaper = () => guarded(() => client.request({ type: 'paperStop' }));

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
    useApp.getState().set({ restored: true, status: 'idle', step: saved.steps.length ? saved.steps.at(-1)!.step + 1 : 0 });
    useApp.getState().bumpMetrics();
  };
  await prepare();
  if (useApp.getState().status === 'failed') return showSaved();
  let step: number;
  try {
    step = await client.request({ type: 'loadWeights', bytes: new Uint8Array(await weights.arrayBuffer()), name: weights.name });
  } catch (e) {
    showSaved();
    throw e;
  }
  const live = metrics.evals.at(-1)!; // the loaded weights' evaluation
  metrics.steps = saved.steps.filter((r) => r.step < step);
  metrics.evals = [...saved.evals.filter((e) => e.step < step), live];
  metrics.final = step >= useApp.getState().config.steps ? saved.final : null;
  useApp.getState().set({ restored: false, step });
  useApp.getState().bumpMetrics();
  saveLastRun();
}
