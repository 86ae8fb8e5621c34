/**
 * The store's side of the engine worker: starting the backend, preparing and driving a run, the
 * paper table, the self-check, and folding the worker's events into the store and the metric
 * buffers (the store's version is bumped at most every 200 ms). Every request to the worker goes
 * through here, so cancelling (which ends the worker) covers all of them.
 */
import { type PaperPlan, paperConfig } from '../config/paper-plan';
import { defaultsFor } from '../config/resolve';
import { RESOURCE_DEFAULTS, type ResourcePlan } from '../protocol/resources';
import { EngineClient } from '../engine/client';
import type { EngineEvent, EngineReply, EngineRequest, ModelSource, UserText } from '../protocol/messages';
import { unpackSteps } from '../protocol/step-batch';
import { appendSteps, clearMetrics, metrics } from './metrics';
import { saveLastRun } from './persist';
import { useApp } from './store';

const client = new EngineClient();
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
      set({ paper: { ...paper, current: { method: e.method, seed: e.seed, done: e.done, of: e.of } }, progress: null });
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
    case 'resourcesStart':
      set({ resources: { ...useApp.getState().resources, current: e.method }, progress: null });
      break;
    case 'resourcesRow': {
      const r = useApp.getState().resources;
      set({ resources: { ...r, rows: [...r.rows, e.row] } });
      break;
    }
    case 'resourcesStatus': {
      const r = useApp.getState().resources;
      const running = e.status === 'running';
      set({ resources: { ...r, status: e.status, message: e.message, current: running ? r.current : null, wallSeconds: running ? null : Math.round((Date.now() - r.startedAt) / 1000) }, progress: running ? useApp.getState().progress : null });
      break;
    }
    case 'progress':
      {
        const before = useApp.getState().progress;
        const startedAt = e.done === 0 || !before || before.what !== e.what ? Date.now() : before.startedAt;
        set({ progress: { what: e.what, done: e.done, of: e.of, startedAt } });
      }
      break;
    case 'prepared':
      set({ runInfo: e.info, progress: null });
      break;
    case 'steps':
      appendSteps(unpackSteps(e.batch));
      set({ done: e.done });
      scheduleBump();
      break;
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
      set({ status: e.status, done: e.done, error: e.status === 'failed' ? (e.message ?? 'the run failed') : null });
      if (e.status === 'paused' || e.status === 'done' || e.status === 'failed') saveLastRun();
      break;
  }
}
client.onEvent(onEvent);

/** Bumped by cancel(): requests of an earlier worker then fail without it being an error. */
let generation = 0;

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

/** A request to the worker; one that a cancel() ended rejects with Cancelled. */
async function request<R extends EngineRequest>(req: R): Promise<EngineReply<R>> {
  const g = generation;
  try {
    return await client.request(req);
  } catch (e) {
    throw g !== generation ? new Cancelled() : e;
  }
}

/** A request whose failure is the run's failure (shown as the run's error), unless it was cancelled. */
async function guarded(req: EngineRequest): Promise<void> {
  try {
    await request(req);
  } catch (e) {
    if (!(e instanceof Cancelled)) useApp.getState().set({ error: (e as Error).message, status: 'failed' });
  }
}

/** The user's text, kept here too so that a fresh worker gets it again. */
let userText: UserText | null = null;
/** Where the imported model came from, kept so that a fresh worker imports it again (a Hub model from its cache). */
let importSource: ModelSource | null = null;

const importedInfo = () => {
  const i = useApp.getState().imported;
  return i.kind === 'ready' ? i.info : i.kind === 'failed' ? i.before : null;
};

/**
 * Brings a Hugging Face GPT-2 in (fetched in the worker with a progress line, or from files):
 * later runs use it as teacher and base. A failure names what is wrong and keeps the model before.
 */
export async function importModel(source: ModelSource): Promise<void> {
  const set = useApp.getState().set;
  const before = importedInfo();
  await reset();
  set({ imported: { kind: 'loading' } });
  try {
    const info = await request({ type: 'importModel', source });
    importSource = source;
    set({ imported: { kind: 'ready', info }, progress: null });
  } catch (e) {
    if (e instanceof Cancelled) return;
    set({ imported: { kind: 'failed', message: (e as Error).message, before }, progress: null });
  }
}

/** Back to the shipped models. */
export async function clearImport(): Promise<void> {
  await reset();
  await request({ type: 'clearImport' });
  importSource = null;
  useApp.getState().set({ imported: { kind: 'none' } });
}

/** The live run as Hugging Face folders, file by file (student/, adapter/, merged/). */
export const exportHf = () => request({ type: 'exportHf' });

export async function sendUserText(t: UserText): Promise<void> {
  await request({ type: 'userText', ...t });
  userText = t;
}

export async function startEngine(): Promise<void> {
  const set = useApp.getState().set;
  // After a lost device the worker's GPU context is dead: start a fresh worker.
  if (useApp.getState().engine.kind === 'lost') client.dispose();
  set({ engine: { kind: 'starting' }, status: 'idle', runInfo: null, startCheck: null });
  try {
    const info = await request({ type: 'init', backend: useApp.getState().backend ?? undefined });
    if (userText) await request({ type: 'userText', ...userText });
    if (importSource) await request({ type: 'importModel', source: importSource });
    set({ engine: { kind: 'ready', info } });
    if (info.name !== 'cpu') {
      // A quick check that this backend's gradients agree with the CPU's (docs/webgpu-traps.md).
      const r = await request({ type: 'selfCheck', quick: true });
      set({ startCheck: { ok: r.gradients.ok, maxGradRelErr: r.gradients.maxGradRelErr, backend: info.name } });
    }
  } catch (e) {
    if (!(e instanceof Cancelled)) set({ engine: { kind: 'error', message: (e as Error).message } });
  }
}

/**
 * Cancels whatever the engine is doing (preparing a run, training a teacher in the browser) by
 * ending its worker — the only sure way to stop GPU work — and starts a fresh one.
 */
export async function cancel(): Promise<void> {
  generation++;
  client.dispose();
  useApp.getState().set({ status: 'idle', runInfo: null, progress: null, error: null, done: 0 });
  clearMetrics();
  useApp.getState().bumpMetrics();
  await startEngine();
}

/** Prepares the run of the current config (dropping the last run's metrics). */
export function prepare(): Promise<void> {
  clearMetrics();
  useApp.getState().set({ runInfo: null, restored: false, done: 0, error: null, progress: null });
  useApp.getState().bumpMetrics();
  return guarded({ type: 'prepare', config: useApp.getState().config });
}

const needsPrepare = () => !useApp.getState().runInfo || useApp.getState().restored;

/** Prepares the run when needed, then sends `req` — unless preparing failed or was cancelled. */
async function preparedThen(req: { type: 'play' } | { type: 'step' }): Promise<void> {
  const g = generation;
  if (needsPrepare()) await prepare();
  if (g !== generation || useApp.getState().status === 'failed') return;
  await guarded(req);
}

export const play = () => preparedThen({ type: 'play' });

export const pause = () => guarded({ type: 'pause' });

export const step = () => preparedThen({ type: 'step' });

export async function reset(): Promise<void> {
  await guarded({ type: 'reset' });
  clearMetrics();
  useApp.getState().set({ runInfo: null, restored: false, status: 'idle', done: 0, error: null, progress: null });
  useApp.getState().bumpMetrics();
}

/** The full self-check (gradients and three distillation steps) on the active backend. */
export const selfCheck = () => request({ type: 'selfCheck' });

/** Destroys the WebGPU device on purpose, to show the recovery. */
export const loseDevice = () => request({ type: 'loseDevice' });

/** The live run's weights (and LoRA adapter) as safetensors. */
export const exportWeights = () => request({ type: 'export' });

/** Continues the prepared run from downloaded weights; resolves to the steps they were saved after. */
export const loadWeights = (bytes: Uint8Array, name: string) => request({ type: 'loadWeights', bytes, name });

/** Starts a paper table: by default of the current preset with the page's budget (ending any run). */
export async function runPaper(given?: PaperPlan): Promise<void> {
  const s = useApp.getState();
  const plan: PaperPlan = given ?? { preset: s.config.preset, seeds: s.page.paperSeeds, ...(s.page.paperSteps ? { steps: s.page.paperSteps } : {}) };
  const steps = paperConfig(plan, 'ft', 0).steps;
  const backend = s.engine.kind === 'ready' ? s.engine.info.name : null;
  clearMetrics();
  s.set({ runInfo: null, restored: false, status: 'idle', done: 0, error: null, progress: null });
  s.bumpMetrics();
  s.set({ paper: { status: 'running', plan: { preset: plan.preset, steps, seeds: plan.seeds, methods: plan.methods }, runs: {}, current: null, backend, startedAt: Date.now(), wallSeconds: null } });
  try {
    await request({ type: 'paperTable', plan });
  } catch (e) {
    if (!(e instanceof Cancelled)) useApp.getState().set({ paper: { ...useApp.getState().paper, status: 'failed', message: (e as Error).message } });
  }
}

export const stopPaper = () => guarded({ type: 'paperStop' });

/** Measures the resources table of the current preset (ending any run): the same rows as `paper-table --resources`. */
export async function runResourcesTable(): Promise<void> {
  const s = useApp.getState();
  const plan: ResourcePlan = { preset: s.config.preset, steps: RESOURCE_DEFAULTS.steps, batchSize: defaultsFor(s.config.preset, 'sti-lora').batchSize, decodeTokens: RESOURCE_DEFAULTS.decodeTokens, decodeRuns: RESOURCE_DEFAULTS.decodeRuns };
  const backend = s.engine.kind === 'ready' ? s.engine.info.name : null;
  clearMetrics();
  s.set({ runInfo: null, restored: false, status: 'idle', done: 0, error: null, progress: null });
  s.bumpMetrics();
  s.set({ resources: { status: 'running', plan, rows: [], current: null, backend, startedAt: Date.now(), wallSeconds: null } });
  try {
    await request({ type: 'resources', plan });
  } catch (e) {
    if (!(e instanceof Cancelled)) useApp.getState().set({ resources: { ...useApp.getState().resources, status: 'failed', message: (e as Error).message } });
  }
}
