/** The live panels of a run. Each reads the metric buffers when the store's metricsVersion changes. */
import { MEMORY_ORDER, MEMORY_PARTS, TAU_DECAY_TABLE, memoryBreakdown } from '../state/catalog';
import { downsample, lastWith, metrics } from '../state/metrics';
import { useApp } from '../state/store';
import { Chart, color } from './Chart';
import { Empty, Panel } from './Panel';

const useVersion = () => useApp((s) => s.metricsVersion);
const fmt = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const mb = (b: number | undefined) => (b === undefined ? '—' : `${(b / 1048576).toFixed(2)} MB`);

export function TrainingPanel() {
  useVersion();
  const steps = downsample(metrics.steps);
  const ev = metrics.evals;
  const last = metrics.steps.at(-1);
  const done = useApp((s) => s.done);
  return (
    <Panel id="training" title="Training" explainer="The loss being minimised (its parts: output-layer KD, layer KD, cross-entropy), and quality on the held-out test set: ROUGE-L (longest common subsequence F1) and perplexity of the gold answers.">
      {steps.length === 0 ? (
        <Empty>No steps yet: press Run or Step.</Empty>
      ) : (
        <Chart
          rows={steps.map((s) => ({ step: s.step, loss: s.loss, out: s.lossOut, layer: s.lossLayer, ce: s.lossCe }))}
          x="step"
          series={[
            { key: 'loss', name: 'loss', color: color(0) },
            { key: 'out', name: 'output KD', color: color(1), dashed: true },
            { key: 'layer', name: 'layer KD', color: color(2), dashed: true },
            { key: 'ce', name: 'CE', color: color(3), dashed: true },
          ]}
        />
      )}
      {ev.length > 0 && (
        <Chart
          height={160}
          rows={ev.map((e) => ({ step: e.done, rouge: e.rougeL, em: e.exactMatch, ppl: e.perplexity }))}
          x="step"
          rightLabel="perplexity"
          series={[
            { key: 'rouge', name: 'ROUGE-L', color: color(0), points: true },
            { key: 'em', name: 'exact match', color: color(2), points: true },
            { key: 'ppl', name: 'perplexity', color: color(3), axis: 'right', points: true },
          ]}
        />
      )}
      <p className="stats" data-testid="training-stats" data-losses={JSON.stringify(metrics.steps.map((x) => x.loss))}>
        step {done} · loss {fmt(last?.loss, 4)} · {fmt(last?.tokensPerSec, 0)} tokens/s · {fmt(last?.msPerStep, 0)} ms/step · ROUGE-L{' '}
        {fmt(ev.at(-1)?.rougeL)} · perplexity {fmt(ev.at(-1)?.perplexity)}
      </p>
    </Panel>
  );
}

/** The latest step record with per-position series (on-policy steps). */
const lastAlong = () => lastWith('interventionByPosition') ?? lastWith('tauByPosition');

export function ThresholdPanel() {
  useVersion();
  const info = useApp((s) => s.runInfo);
  const steps = downsample(metrics.steps);
  const hasTau = steps.some((s) => s.tau !== null);
  const along = lastAlong();
  const tauAlong = along?.tauByPosition ?? [];
  const decay = info ? TAU_DECAY_TABLE[info.config.tauDecay] : null;
  const share = metrics.final?.teacherTokenShare;
  const constantAlong = info?.config.tauDecay === 'position' && info.config.tauShape === 'constant';
  const tauLabel = !decay ? 'τ' : constantAlong ? 'τ constant along the response (tauShape constant)' : `τ decays ${decay.label}`;
  return (
    <Panel
      id="threshold"
      title="Threshold τ and intervention"
      explainer={
        <>
          While the student writes, the teacher takes over a token where the divergence of their next-token distributions
          reaches the threshold τ at that position. As in SWITCH (Koo et al., NAACL Findings 2025), τ(t) = τ0·g(t) falls along
          the response — g(t) = e^(−λt) by default — so later tokens, where a student's errors have piled up, are corrected more
          readily. The chart shows τ at each response position of the latest rollout, the batch's mean trigger divergence there,
          and the share of sequences whose token the teacher took (right axis). With the earlier reading (τ decaying over
          training steps) a second chart shows τ over steps.
        </>
      }
    >
      {steps.length === 0 ? (
        <Empty>No steps yet.</Empty>
      ) : !hasTau ? (
        <Empty>This method has no threshold.</Empty>
      ) : (
        <>
          {along && (
            <Chart
              rows={tauAlong.map((tau, t) => ({ t, tau, d: along.divergenceByPosition?.[t] ?? null, taken: along.interventionByPosition?.[t] ?? null }))}
              x="t"
              xLabel={`response position (step ${along.step})`}
              rightLabel="teacher's share"
              rightIsShare
              series={[
                { key: 'tau', name: 'τ at the position', color: color(3), points: true },
                { key: 'd', name: 'mean trigger divergence', color: color(0), points: true },
                { key: 'taken', name: "teacher's tokens (share)", color: color(1), axis: 'right', dashed: true, points: true },
              ]}
            />
          )}
          {decay?.overSteps && (
            <Chart
              height={160}
              rows={steps.map((s) => ({ step: s.step, tau: s.tau, rate: s.onPolicy ? s.interventionRate : null }))}
              x="step"
              xLabel="training step"
              rightLabel="replaced"
              rightIsShare
              series={[
                { key: 'tau', name: 'τ(s) at the first position', color: color(3) },
                { key: 'rate', name: 'tokens replaced', color: color(1), axis: 'right', dashed: true },
              ]}
            />
          )}
        </>
      )}
      <p className="stats" data-testid="threshold-stats" data-tau-first={tauAlong[0] ?? ''} data-tau-last={tauAlong.at(-1) ?? ''}>
        {hasTau && (
          <>
            {tauLabel} · τ {fmt(tauAlong[0])} at the first position → {fmt(tauAlong.at(-1))} at the last · the teacher
            took {fmt((steps.at(-1)?.interventionRate ?? 0) * 100, 1)}% of this step's tokens{share !== undefined ? `, ${fmt(share * 100, 1)}% over the run` : ''}
          </>
        )}
      </p>
    </Panel>
  );
}

export function LayersPanel() {
  useVersion();
  const info = useApp((s) => s.runInfo);
  const steps = downsample(metrics.steps);
  const L = steps[0]?.layerDivergence.length ?? 0;
  const heat = lastWith('heatmap')?.heatmap;
  const max = heat ? Math.max(...heat.values, 1e-9) : 1;
  return (
    <Panel
      id="layers"
      title="Per-layer divergence"
      explainer="Each student layer ℓ is read out through the logit lens (its final norm and head) and compared with teacher layer g(ℓ) = round(ℓ·L_T/L_S). A line per student layer over steps, and a layer × position map of the latest batch's first sequence."
    >
      {L === 0 ? (
        <Empty>{steps.length ? 'This method has no teacher.' : 'No steps yet.'}</Empty>
      ) : (
        <>
          <Chart
            rows={steps.map((s) => Object.fromEntries([['step', s.step], ...s.layerDivergence.map((d, i) => [`l${i}`, d])]))}
            x="step"
            series={Array.from({ length: L }, (_, i) => ({ key: `l${i}`, name: `student layer ${i + 1} ↔ teacher ${info?.layerMap[i] ?? '?'}`, color: color(i) }))}
          />
          <div data-testid="layer-lines" data-count={L} />
        </>
      )}
      {heat && (
        <div className="heatmap" role="img" aria-label="layer by position divergence" data-testid="heatmap">
          {Array.from({ length: heat.layers }, (_, l) => (
            <div className="heat-row" key={l}>
              <span className="heat-label">L{l + 1}</span>
              {Array.from({ length: heat.positions }, (_, t) => {
                const v = heat.values[l * heat.positions + t]!;
                return <span key={t} className="heat-cell" title={`layer ${l + 1}, position ${t}: D = ${v.toFixed(3)}`} style={{ background: `rgba(178, 58, 72, ${Math.min(1, v / max)})` }} />;
              })}
            </div>
          ))}
        </div>
      )}
    </Panel>
  );
}

export function RankPanel() {
  useVersion();
  const info = useApp((s) => s.runInfo);
  const withRank = downsample(metrics.steps.filter((s) => s.effectiveRank));
  const modules = info?.loraModules ?? [];
  return (
    <Panel
      id="rank"
      title="LoRA rank"
      explainer="Each adapter learns ΔW = (α/r)·A·B of rank at most r. Its effective rank (entropy of the normalised singular values) shows how many directions it really uses; it starts at 0 because B starts at 0."
    >
      {!info?.loraRank ? (
        <Empty>{info ? 'This method trains all weights: no adapters.' : 'No run yet.'}</Empty>
      ) : (
        <>
          <p className="stats" data-testid="rank-configured">
            configured rank r = {info.loraRank} on {modules.length} matrices
          </p>
          {withRank.length > 0 && (
            <Chart
              rows={withRank.map((s) => Object.fromEntries([['step', s.step], ['r', info.loraRank], ...modules.map((m, i) => [`m${i}`, s.effectiveRank![m] ?? null])]))}
              x="step"
              series={[{ key: 'r', name: 'r', color: '#999', dashed: true }, ...modules.map((m, i) => ({ key: `m${i}`, name: m, color: color(i) }))]}
            />
          )}
        </>
      )}
    </Panel>
  );
}

export function MemoryPanel() {
  useVersion();
  const info = useApp((s) => s.runInfo);
  const steps = downsample(metrics.steps);
  const last = metrics.steps.at(-1);
  const f = metrics.final;
  // The same parts as the resources table: sizes of what exists; activations the rest of the measured peak.
  const parts = info ? memoryBreakdown({ trainableParams: info.trainableParams, totalParams: info.totalParams, teacherParams: info.teacherParams, peakBytes: f?.peakBytes ?? 0 }) : null;
  return (
    <Panel
      id="memory"
      title="Memory"
      explainer="Live tensor bytes and, on WebGPU, GPU bytes in use and the buffer pool. tfjs never frees its pool: it only grows when shapes change (a new rank, batch or length). Peak: the largest logical bytes within one training step."
    >
      {steps.length === 0 ? (
        <Empty>No steps yet.</Empty>
      ) : (
        <Chart
          rows={steps.map((s) => ({ step: s.step, live: s.memory.numBytes / 1048576, gpu: s.memory.gpuBytesInUse !== undefined ? s.memory.gpuBytesInUse / 1048576 : null, pool: s.memory.gpuBytesPooled !== undefined ? s.memory.gpuBytesPooled / 1048576 : null }))}
          x="step"
          series={[
            { key: 'live', name: 'live tensors (MB)', color: color(0) },
            { key: 'gpu', name: 'GPU in use (MB)', color: color(1) },
            { key: 'pool', name: 'GPU pool (MB)', color: color(3), dashed: true },
          ]}
        />
      )}
      {parts && (
        <table className="small" data-testid="memory-breakdown">
          <tbody>
            <tr><td>live tensors</td><td data-testid="memory-live">{mb(last?.memory.numBytes)}</td></tr>
            {MEMORY_ORDER.map((p) => (
              <tr key={p} title={MEMORY_PARTS[p].how}>
                <td>{MEMORY_PARTS[p].label}</td>
                <td>{p !== 'activations' ? mb(parts[p]) : f ? mb(Math.max(0, parts.activations)) : 'at the end of the run'}</td>
              </tr>
            ))}
            <tr><td>peak of one step</td><td>{f ? mb(f.peakBytes) : 'at the end of the run'}</td></tr>
          </tbody>
        </table>
      )}
    </Panel>
  );
}

export function SamplesPanel() {
  useVersion();
  const s = lastWith('sample');
  const ev = metrics.evals.at(-1);
  return (
    <Panel
      id="samples"
      title="Samples"
      explainer="A student rollout from the latest batch: highlighted characters are where the teacher's token replaced the student's. Hover one for its position, its trigger divergence and the threshold τ there. Below, greedy outputs on the test set."
    >
      {s?.sample ? (
        <p className="sample" data-testid="sample">
          <span className="muted">{s.sample.prompt}</span>
          {[...s.sample.response].map((ch, i) => (
            <span
              key={i}
              className={s.sample!.intervened[i] ? 'intervened' : undefined}
              data-intervened={s.sample!.intervened[i] ? '1' : '0'}
              title={`position ${i}: D = ${s.sample!.divergence[i]!.toFixed(3)}, τ = ${fmt(s.tauByPosition?.[i] ?? s.tau)}${s.sample!.intervened[i] ? ' — teacher token' : ''}`}
            >
              {ch === '\n' ? '⏎' : ch}
            </span>
          ))}
        </p>
      ) : (
        <Empty>Rollout samples appear on on-policy steps.</Empty>
      )}
      {ev && (
        <ul className="samples">
          {ev.samples.map((x, i) => (
            <li key={i}>
              <code>{x.prompt}</code> → <code>{x.output || '∅'}</code> <span className="muted">(gold {x.gold})</span>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}
