/** Preset and method pickers, run / pause / step / reset, share, and the run's status. */
import { useState } from 'react';
import { choose, downloadHf, downloadRun, loadRun, useTextFile } from '../state/actions';
import { METHODS, METHOD_SPECS, type Method, PRESETS, PRESET_NAMES, timeLeft } from '../state/catalog';
import { cancel, pause, play, reset, step } from '../state/engine';
import { pushUrl } from '../state/link';
import { useApp } from '../state/store';
import { ClassroomLink } from './ClassroomLink';

/** What the work before a run has left, from its pace so far. */
const progressLeft = (p: { startedAt: number; done: number; of: number }) => timeLeft(Date.now() - p.startedAt, p.done, p.of);

export function Controls() {
  const config = useApp((s) => s.config);
  const status = useApp((s) => s.status);
  const done = useApp((s) => s.done);
  const engine = useApp((s) => s.engine);
  const progress = useApp((s) => s.progress);
  const error = useApp((s) => s.error);
  const [shared, setShared] = useState<string | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const restored = useApp((s) => s.restored);
  const hasRun = useApp((s) => s.runInfo !== null);
  const save = async () => {
    try {
      await downloadRun();
    } catch (e) {
      setFileError((e as Error).message);
    }
  };
  const saveHf = async () => {
    try {
      await downloadHf();
    } catch (e) {
      setFileError((e as Error).message);
    }
  };
  const [textName, setTextName] = useState<string | null>(null);
  const useText = async (file: File | undefined) => {
    if (!file) return;
    try {
      setTextName(await useTextFile(file));
      setFileError(null);
    } catch (e) {
      setFileError((e as Error).message);
    }
  };
  const loadRunFiles = async (files: FileList | null) => {
    if (!files?.length) return;
    try {
      await loadRun([...files]);
      setFileError(null);
    } catch (e) {
      setFileError((e as Error).message);
    }
  };
  const busy = status === 'preparing';
  const running = status === 'running';
  const ready = engine.kind === 'ready';
  const share = async () => {
    pushUrl();
    try {
      await navigator.clipboard.writeText(location.href);
      setShared('Link copied.');
    } catch {
      setShared('Copy this link from the address bar.');
    }
  };

  return (
    <section
      className="controls panel"
      aria-label="Run controls"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        void useText(e.dataTransfer.files[0]);
      }}
    >
      <label>
        Preset{' '}
        <select data-testid="preset-select" value={config.preset} onChange={(e) => choose(e.target.value, config.method)} disabled={busy || running}>
          {PRESET_NAMES.map((p) => (
            <option key={p} value={p} title={PRESETS[p]!.description}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label>
        Method{' '}
        <select data-testid="method-select" value={config.method} onChange={(e) => choose(config.preset, e.target.value as Method)} disabled={busy || running}>
          {METHODS.map((m) => (
            <option key={m} value={m} title={METHOD_SPECS[m].summary}>
              {m}
            </option>
          ))}
        </select>
      </label>
      {running ? (
        <button type="button" data-testid="pause" onClick={() => void pause()}>
          Pause
        </button>
      ) : (
        <button type="button" data-testid="run" onClick={() => void play()} disabled={!ready || busy || status === 'done'}>
          Run
        </button>
      )}
      <button type="button" data-testid="step" onClick={() => void step()} disabled={!ready || busy || running || status === 'done'}>
        Step
      </button>
      {busy ? (
        <button type="button" data-testid="cancel" onClick={() => void cancel()} title="Stop preparing the run (ends the engine's worker and starts a fresh one)">
          Cancel
        </button>
      ) : (
        <button type="button" data-testid="reset" onClick={() => void reset()}>
          Reset
        </button>
      )}
      <button type="button" data-testid="share" onClick={() => void share()}>
        Share
      </button>
      <button type="button" data-testid="download" onClick={() => void save()} disabled={!hasRun || running || busy}>
        Download run
      </button>
      <button type="button" data-testid="download-hf" onClick={() => void saveHf()} disabled={!hasRun || restored || running || busy} title="The trained student as a Hugging Face GPT-2 folder (transformers loads it) and, for LoRA runs, its PEFT adapter: one zip">
        Download for transformers
      </button>
      <label className="file-button" title="Distill on your own text: it stays in this browser">
        Your text (.txt)…
        <input type="file" accept=".txt,text/plain" data-testid="user-text" onChange={(e) => void useText(e.target.files?.[0])} />
      </label>
      {textName && <span className="muted" data-testid="user-text-name">{textName}</span>}
      <label className="file-button" title="Choose a downloaded run's .json to see it again; choose its .safetensors with it to go on training it">
        Load run…
        <input type="file" multiple accept=".json,.safetensors,application/json" data-testid="load-run" onChange={(e) => void loadRunFiles(e.target.files)} />
      </label>
      <span className="status" data-testid="run-status" data-status={status} data-done={done}>
        {restored ? 'showing a saved run (Run starts a new one)' : status === 'idle' ? 'ready to run' : status} · step {done} of {config.steps}
        {progress && ` · ${progress.what}: ${progress.done}/${progress.of}${progressLeft(progress) ? `, ${progressLeft(progress)}` : ''}`}
      </span>
      {shared && <span className="muted">{shared}</span>}
      <ClassroomLink />
      <p className="muted method-summary">{METHOD_SPECS[config.method].summary}. {PRESETS[config.preset]?.description}.</p>
      {fileError && (
        <p className="notice error" role="alert" data-testid="file-error">
          {fileError}
        </p>
      )}
      {error && (
        <p className="notice error" role="alert" data-testid="run-error">
          {error}
        </p>
      )}
    </section>
  );
}
