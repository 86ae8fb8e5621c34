/**
 * Bring your own model: a GPT-2-family model by its Hugging Face id (fetched in the engine's
 * worker from the Hub or a mirror, cached in the browser) or from its files; then a summary of
 * it and of what a run on it holds, before any run starts.
 */
import { useState } from 'react';
import { HF_HUB, dropHfModel, importHfModel } from '../state/actions';
import { useApp } from '../state/store';
import { MEMORY_ORDER, MEMORY_PARTS } from '../state/catalog';
import { SecondaryPanel } from './Panel';

const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
const M = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n.toLocaleString('en-US'));

export function ImportModel() {
  const imported = useApp((s) => s.imported);
  const progress = useApp((s) => s.progress);
  const status = useApp((s) => s.status);
  const [id, setId] = useState('openai-community/gpt2');
  const [base, setBase] = useState(HF_HUB);
  const busy = imported.kind === 'loading' || status === 'running' || status === 'preparing';
  const info = imported.kind === 'ready' ? imported.info : imported.kind === 'failed' ? imported.before : null;
  return (
    <SecondaryPanel id="import" testId="import-panel" title="Bring your own model" note="(optional: a GPT-2-family model from Hugging Face)">
      <p className="muted">
        A GPT-2-family model in Hugging Face's layout (config.json, model.safetensors in F32, F16 or BF16, tokenizer.json): it becomes the teacher, and
        its every-other-layer student the model trained. Files are fetched from <code>{'<base>/<id>/resolve/main/<file>'}</code> and kept in this
        browser; your own files never leave it.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void importHfModel({ id, base });
        }}
      >
        <label>
          Model id <input data-testid="hf-id" value={id} onChange={(e) => setId(e.target.value)} size={28} disabled={busy} />
        </label>{' '}
        <label>
          from <input data-testid="hf-base" value={base} onChange={(e) => setBase(e.target.value)} size={28} disabled={busy} />
        </label>{' '}
        <button type="submit" data-testid="hf-import" disabled={busy || !id.trim()}>
          Import
        </button>{' '}
        <label className="file-button" title="config.json, model.safetensors and tokenizer.json of one model">
          or its files…
          <input type="file" multiple data-testid="hf-files" disabled={busy} onChange={(e) => e.target.files?.length && void importHfModel({ files: [...e.target.files] })} />
        </label>{' '}
        {info && (
          <button type="button" data-testid="hf-clear" onClick={() => void dropHfModel()} disabled={busy}>
            Use the shipped models
          </button>
        )}
      </form>
      {imported.kind === 'loading' && (
        <p data-testid="hf-progress">
          {progress ? `${progress.what}: ${MB(progress.done)}${progress.of ? ` of ${MB(progress.of)}` : ''}` : 'importing…'}
          {progress && progress.of > 0 && <progress value={progress.done} max={progress.of} />}
        </p>
      )}
      {imported.kind === 'failed' && (
        <p className="notice error" role="alert" data-testid="hf-error">
          {imported.message}
        </p>
      )}
      {info && (
        <div data-testid="hf-info">
          <p>
            <strong>{info.origin}</strong>: {info.nLayer} layers × {info.dModel}, {info.nHead} heads, a vocabulary of {info.vocabSize.toLocaleString('en-US')},
            context {info.contextLength} ({MB(info.fileBytes)} of files). Teacher {M(info.memory.teacherParams)} parameters; student{' '}
            {M(info.memory.trainedParams)} ({Math.ceil(info.nLayer / 2)} layers, adapters included); trainable {M(info.memory.trainableParams)}.
          </p>
          <p className="muted">
            Memory of a training step at its peak ({info.estimateFor}; an estimate):{' '}
            {MEMORY_ORDER.map((p) => `${MEMORY_PARTS[p].label} ${MB(info.memory.parts[p])}`).join(', ')}; about {MB(info.memory.total)} in all.
          </p>
        </div>
      )}
    </SecondaryPanel>
  );
}
