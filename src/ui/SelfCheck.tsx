/** Runs one tiny training step on the active backend and on the CPU and shows how far the gradients differ. */
import type { ParityReport } from '../engine/selfcheck';

interface Props {
  disabled: boolean;
  state: { running: boolean; report?: ParityReport; error?: string };
  onRun: () => void;
}

export function SelfCheck({ disabled, state, onRun }: Props) {
  const r = state.report;
  return (
    <section className="panel" aria-labelledby="selfcheck-title">
      <h2 id="selfcheck-title">Gradient self-check</h2>
      <p className="explainer">
        One training step of a tiny transformer with LoRA — the loss and the gradient of every parameter — on the active backend and on
        the CPU. GPU backends have produced silently wrong gradients before; this shows whether yours does.
      </p>
      <button type="button" onClick={onRun} disabled={disabled || state.running} data-testid="selfcheck-run">
        {state.running ? 'Checking…' : 'Run self-check'}
      </button>
      {state.error && (
        <p className="notice error" role="alert" data-testid="selfcheck-error">
          The self-check failed to run: {state.error}
        </p>
      )}
      {r && (
        <p
          data-testid="selfcheck-result"
          data-ok={String(r.ok)}
          data-max-rel-err={r.maxGradRelErr}
          data-loss-rel-err={r.lossRelErr}
          className={`notice ${r.ok ? 'ok' : 'error'}`}
        >
          {r.ok ? 'Pass' : 'Mismatch'}: {r.backend} vs {r.reference} over {r.tensors} tensors — largest gradient relative error{' '}
          {r.maxGradRelErr.toExponential(2)} ({r.worstTensor}), loss {r.lossActive.toFixed(5)} vs {r.lossReference.toFixed(5)}; tolerance{' '}
          {r.tolerance.toExponential(0)}.
        </p>
      )}
    </section>
  );
}
