/** Runs a tiny training step and a few distillation steps on the active backend and on the CPU, and shows how far they differ. */
import type { SelfCheckReport } from '../protocol/messages';

interface Props {
  disabled: boolean;
  state: { running: boolean; report?: SelfCheckReport; error?: string };
  onRun: () => void;
}

export function SelfCheck({ disabled, state, onRun }: Props) {
  const g = state.report?.gradients;
  const d = state.report?.distill;
  return (
    <section className="panel" aria-labelledby="selfcheck-title">
      <h2 id="selfcheck-title">Backend self-check</h2>
      <p className="explainer">
        One training step of a tiny transformer with LoRA — the loss and the gradient of every parameter — and three whole distillation
        steps (student rollout with teacher intervention, layer-lens loss, AdamW) on the active backend and on the CPU. GPU backends have
        produced silently wrong gradients before; this shows whether yours does.
      </p>
      <button type="button" onClick={onRun} disabled={disabled || state.running} data-testid="selfcheck-run">
        {state.running ? 'Checking…' : 'Run self-check'}
      </button>
      {state.error && (
        <p className="notice error" role="alert" data-testid="selfcheck-error">
          The self-check failed to run: {state.error}
        </p>
      )}
      {g && (
        <p
          data-testid="selfcheck-result"
          data-ok={String(g.ok)}
          data-max-rel-err={g.maxGradRelErr}
          data-loss-rel-err={g.lossRelErr}
          className={`notice ${g.ok ? 'ok' : 'error'}`}
        >
          {g.ok ? 'Pass' : 'Mismatch'} — gradients: {g.backend} vs {g.reference} over {g.tensors} tensors, largest relative error{' '}
          {g.maxGradRelErr.toExponential(2)} ({g.worstTensor}); loss {g.lossActive.toFixed(5)} vs {g.lossReference.toFixed(5)}; tolerance{' '}
          {g.tolerance.toExponential(0)}.
        </p>
      )}
      {d && (
        <p data-testid="selfcheck-distill" data-ok={String(d.ok)} data-max-rel-err={d.maxLossRelErr} className={`notice ${d.ok ? 'ok' : 'error'}`}>
          {d.ok ? 'Pass' : 'Mismatch'} — {d.steps} sti-lora steps: losses {d.lossesActive.map((x) => x.toFixed(4)).join(', ')} vs{' '}
          {d.lossesReference.map((x) => x.toFixed(4)).join(', ')} (largest relative difference {d.maxLossRelErr.toExponential(2)}; tolerance {d.tolerance.toExponential(0)}); teacher
          replaced {d.interventionActive.map((x) => `${Math.round(100 * x)}%`).join(', ')} of the rollout tokens.
        </p>
      )}
    </section>
  );
}
