/**
 * Keeping runs: the last run's metrics survive a reload (localStorage, keyed by the link's
 * config), and a run can be downloaded — its config and metrics as JSON, the trained weights and
 * the LoRA adapter as safetensors — and its JSON loaded back to show it again. Files and storage
 * are read through run-file.ts, which checks every field.
 */
import { defaultsFor } from '../config/resolve';
import { type StepRecord, doneAfter } from '../protocol/records';
import { configHash } from './link';
import { metrics } from './metrics';
import { RUN_FORMAT, type SavedRun, parseRunFile } from './run-file';
import { useApp } from './store';
import { decodeState } from './url';

const KEY = 'kd-playground/last-run';

/** Step records without the bulky per-step extras, except on the last few. */
function compact(steps: StepRecord[], max = 1500): StepRecord[] {
  const stride = Math.max(1, Math.ceil(steps.length / max));
  return steps
    .filter((_, i) => i % stride === 0 || i >= steps.length - 3)
    .map((s, i, all) => (i >= all.length - 3 ? s : { ...s, heatmap: undefined, sample: undefined, tauByPosition: undefined, interventionByPosition: undefined, divergenceByPosition: undefined }));
}

export function snapshot(): SavedRun {
  const s = useApp.getState();
  return { format: RUN_FORMAT, hash: configHash(), config: s.config, runInfo: s.runInfo, steps: compact(metrics.steps), evals: metrics.evals, final: metrics.final };
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
  useApp.getState().set({ runInfo: run.runInfo, restored: true, status: 'idle', done: last ? doneAfter(last) : 0 });
  useApp.getState().bumpMetrics();
}

/** Shows the last run again if it was of the same config as the link (and is a valid run). */
export function restoreLastRun(): boolean {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return false;
    const run = parseRunFile(raw, 'the run saved in this browser');
    if (run.hash !== configHash()) return false;
    restore(run);
    return true;
  } catch {
    return false;
  }
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
