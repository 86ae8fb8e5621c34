/**
 * Keeping runs: the last run's metrics survive a reload (localStorage, keyed by the link's
 * config), and a run can be downloaded — its config and metrics as JSON, the trained weights and
 * the LoRA adapter as safetensors — and its JSON loaded back to show it again.
 */
import type { DistillConfig } from '../distill/config';
import { defaultsFor } from '../distill/resolve';
import type { RunInfo } from '../engine/session';
import type { EvalRecord, FinalRecord, StepRecord } from '../distill/trainer';
import { metrics } from './metrics';
import { useApp } from './store';
import { decodeState, encodeState } from './url';

const KEY = 'kd-playground/last-run';
export const RUN_FORMAT = 'kd-playground-run/1';

export interface SavedRun {
  format: typeof RUN_FORMAT;
  hash: string;
  config: DistillConfig;
  runInfo: RunInfo | null;
  steps: StepRecord[];
  evals: EvalRecord[];
  final: FinalRecord | null;
}

/** Step records without the bulky per-step extras, except on the last few. */
function compact(steps: StepRecord[], max = 1500): StepRecord[] {
  const stride = Math.max(1, Math.ceil(steps.length / max));
  return steps
    .filter((_, i) => i % stride === 0 || i >= steps.length - 3)
    .map((s, i, all) => (i >= all.length - 3 ? s : { ...s, heatmap: undefined, sample: undefined }));
}

export function snapshot(): SavedRun {
  const s = useApp.getState();
  return { format: RUN_FORMAT, hash: encodeState({ config: s.config, backend: s.backend, hide: s.hide }), config: s.config, runInfo: s.runInfo, steps: compact(metrics.steps), evals: metrics.evals, final: metrics.final };
}

export function saveLastRun(): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(snapshot()));
  } catch {
    // Storage full or disabled: the run itself is unaffected.
  }
}

function restore(run: SavedRun): void {
  metrics.steps = run.steps;
  metrics.evals = run.evals;
  metrics.final = run.final;
  const last = run.steps.at(-1);
  useApp.getState().set({ runInfo: run.runInfo, restored: true, status: 'idle', step: last ? last.step + 1 : 0 });
  useApp.getState().bumpMetrics();
}

/** Shows the last run again if it was of the same config as the link. */
export function restoreLastRun(): boolean {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return false;
    const run = JSON.parse(raw) as SavedRun;
    const s = useApp.getState();
    if (run.format !== RUN_FORMAT || run.hash !== encodeState({ config: s.config, backend: s.backend, hide: s.hide })) return false;
    restore(run);
    return true;
  } catch {
    return false;
  }
}

/** Reads a downloaded run's JSON; a wrong file gets a clear message (thrown). */
export function parseRunFile(text: string, name: string): SavedRun {
  let run: SavedRun;
  try {
    run = JSON.parse(text) as SavedRun;
  } catch {
    throw new Error(`${name} is not a run file (not JSON).`);
  }
  if (!run || run.format !== RUN_FORMAT || !Array.isArray(run.steps) || !Array.isArray(run.evals) || typeof run.hash !== 'string') {
    throw new Error(`${name} is not a KD Playground run file (expected format ${RUN_FORMAT}).`);
  }
  return run;
}

/** Shows a parsed run: its config (from its link) and its metrics. */
export function showRun(run: SavedRun): void {
  const d = decodeState(run.hash, defaultsFor);
  useApp.getState().set({ config: d.config, backend: d.backend, hide: d.hide, notices: d.notices });
  restore(run);
}

export function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
