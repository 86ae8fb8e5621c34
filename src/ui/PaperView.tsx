/**
 * The Paper table view: the eight methods of the paper's comparison run one after another in the
 * engine worker with equal budgets (the same sequence as `npm run paper-table`), the table filled
 * as rows finish, the accuracy-by-position chart, and Markdown / CSV export.
 */
import { useState } from 'react';
import { choose, setPageValue } from '../state/actions';
import { METHODS, METHOD_SPECS, type Method, PAGE_KNOBS, PAPER, PRESETS, PRESET_NAMES, SUGGESTED_PAPER_PRESET, type PositionSet, type TableRow, defaultsFor, paperConfig, pct, pm, pctPm, positionCsv, ratios, signed, tableCsv, tableMarkdown, tableRows } from '../state/catalog';
import { runPaper, stopPaper } from '../state/engine';
import { download } from '../state/persist';
import { useApp } from '../state/store';
import { Chart, color } from './Chart';
import { Empty, Panel } from './Panel';
import { ResourcesTable } from './ResourcesTable';

/** A page setting (steps per run, seeds) as a small input checked by its table entry. */
function PageInput({ name, disabled }: { name: 'paperSteps' | 'paperSeeds'; disabled: boolean }) {
  const k = PAGE_KNOBS.find((x) => x.key === name)! as Parameters<typeof setPageValue>[0];
  const page = useApp((s) => s.page);
  const preset = useApp((s) => s.config.preset);
  const shown = name === 'paperSteps' ? (page.paperSteps ?? defaultsFor(preset, 'ft').steps) : page.paperSeeds;
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const apply = (text: string) => {
    const refused = setPageValue(k, text);
    setError(refused);
    if (!refused) setDraft(null);
  };
  return (
    <label title={k.help}>
      {name === 'paperSteps' ? 'Steps per run' : 'Seeds'}{' '}
      <input
        data-testid={`paper-${name === 'paperSteps' ? 'steps' : 'seeds'}`}
        size={6}
        value={draft ?? String(shown)}
        disabled={disabled}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => draft !== null && apply(draft)}
        onKeyDown={(e) => e.key === 'Enter' && draft !== null && apply(draft)}
        aria-invalid={error ? true : undefined}
      />
      {error && (
        <span className="knob-error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </label>
  );
}

/** The table's Markdown as exported: what was run, where, then the table itself. */
function exportMarkdown(rows: TableRow[], p: ReturnType<typeof useApp.getState>['paper'], link: string): string {
  return [
    `# Paper table: preset \`${p.plan?.preset}\``,
    '',
    `Run in KD Playground (${link}) on the \`${p.backend ?? '?'}\` backend: ${p.plan?.steps} steps per run, ${p.plan?.seeds} seed(s), seeds (data, init, sampling) = (1 + k, 101 + k, 1001 + k); every other knob at the method's and preset's defaults; wall time ${p.wallSeconds ?? '?'} s${p.status === 'done' ? '' : ` (${p.status}: ${rows.length} of ${METHODS.length} methods finished)`}. The same rows as \`npm run paper-table -- --preset ${p.plan?.preset} --steps ${p.plan?.steps} --seeds ${p.plan?.seeds}\`.`,
    '',
    tableMarkdown(rows, 'MB', { exactMatch: PRESETS[p.plan?.preset ?? '']?.data.kind === 'task' }),
    '',
  ].join('\n');
}

function rowState(m: Method, p: ReturnType<typeof useApp.getState>['paper']): 'done' | 'running' | 'waiting' {
  if ((p.runs[m]?.length ?? 0) >= (p.plan?.seeds ?? Infinity)) return 'done';
  return p.current?.method === m && p.status === 'running' ? 'running' : 'waiting';
}

export function PaperView() {
  const paper = useApp((s) => s.paper);
  const config = useApp((s) => s.config);
  const page = useApp((s) => s.page);
  const engine = useApp((s) => s.engine);
  const progress = useApp((s) => s.progress);
  const running = paper.status === 'running';
  const resourcesRunning = useApp((s) => s.resources.status === 'running');
  const rows = tableRows(METHODS.filter((m) => (paper.runs[m]?.length ?? 0) > 0).map((m) => ({ method: m, runs: paper.runs[m]! })));
  const liveGpu = rows.some((r) => r.liveGpuBytes);
  const byMethod = new Map(rows.map((r) => [r.method, r]));
  const ft = byMethod.get('ft');
  const lora = byMethod.get('lora');
  const sti = byMethod.get('sti-lora');
  const plannedSteps = paperConfig({ preset: config.preset, seeds: page.paperSeeds, ...(page.paperSteps ? { steps: page.paperSteps } : {}) }, 'ft', 0).steps;
  // Exact match means something for tasks with one right answer, not for continuing text.
  const emDefined = PRESETS[paper.plan?.preset ?? config.preset]?.data.kind === 'task';
  const [which, setWhich] = useState<PositionSet>('all');
  const positions = Math.max(0, ...rows.map((r) => r.positions[which].length));
  const stem = `paper-${paper.plan?.preset ?? config.preset}`;
  const rel = (r: TableRow, ref: TableRow | undefined) => {
    if (!ref || ref === r) return '—';
    const q = ratios(r, ref);
    return `${pct(q.quality)}, ${signed(q.params)}, ${signed(q.memory)}, ${signed(q.inference)}`;
  };
  return (
    <Panel
      id="paper"
      title="Paper table"
      explainer={
        <>
          The paper's comparison on one machine: full fine-tuning (<code>ft</code>), <code>lora</code>, and six distillation methods, each trained with the same budget —
          the same steps, data order and seeds, every other knob at its default — then evaluated on the preset's test set. Quality is the mean of the ROUGE-L share and the
          perplexity share against a reference row; parameters, memory and latency are relative changes. The paper reports the combined method (<code>sti-lora</code>) at{' '}
          {pct(PAPER.vsFt.quality)} of full fine-tuning's quality and {pct(PAPER.vsLora.quality)} of LoRA's, with {signed(PAPER.vsFt.params)} / {signed(PAPER.vsLora.params)}{' '}
          trainable parameters, {signed(PAPER.vsFt.memory)} / {signed(PAPER.vsLora.memory)} GPU memory and {signed(PAPER.vsFt.inference)} inference time.
        </>
      }
    >
      <div className="controls">
        <label>
          Preset{' '}
          <select data-testid="paper-preset" value={config.preset} disabled={running} onChange={(e) => choose(e.target.value, config.method)}>
            {PRESET_NAMES.map((p) => (
              <option key={p} value={p} title={PRESETS[p]!.description}>
                {p}
              </option>
            ))}
          </select>
        </label>
        {config.preset !== SUGGESTED_PAPER_PRESET && (
          <button type="button" data-testid="paper-suggested" disabled={running} title={PRESETS[SUGGESTED_PAPER_PRESET]!.description} onClick={() => choose(SUGGESTED_PAPER_PRESET, config.method)}>
            Use {SUGGESTED_PAPER_PRESET} (the long-sequence test)
          </button>
        )}
        <PageInput name="paperSteps" disabled={running} />
        <PageInput name="paperSeeds" disabled={running} />
        {running ? (
          <button type="button" data-testid="paper-stop" onClick={() => void stopPaper()}>
            Stop
          </button>
        ) : (
          <button type="button" data-testid="paper-run" disabled={engine.kind !== 'ready' || resourcesRunning} onClick={() => void runPaper()}>
            Run the table
          </button>
        )}
        <span className="status" data-testid="paper-status" data-status={paper.status}>
          {paper.status === 'idle'
            ? `${METHODS.length} methods × ${page.paperSeeds} seed(s) × ${plannedSteps} steps`
            : `${paper.status}${paper.current ? ` · ${paper.current.method} seed ${paper.current.seed + 1}: step ${paper.current.done}/${paper.current.of}` : ''}${paper.wallSeconds !== null ? ` · ${paper.wallSeconds} s` : ''}`}
          {progress && running && ` · ${progress.what}: ${progress.done}/${progress.of}`}
        </span>
        {paper.status === 'failed' && (
          <p className="notice error" role="alert" data-testid="paper-error">
            The paper table stopped: {paper.message}
          </p>
        )}
      </div>
      <table className="small paper-table" data-testid="paper-table">
        <thead>
          <tr>
            <th>method</th>
            <th>runs</th>
            <th>trainable params</th>
            <th title="logical peak of one training step (tf.profile): the same quantity on every backend">peak step MB</th>
            {liveGpu && <th title="webgpu: the largest live GPU memory after a step, buffers of the pool not counted">live GPU MB</th>}
            <th>ms/token</th>
            <th>ROUGE-L</th>
            <th>perplexity</th>
            <th>exact match</th>
            <th title="share of rollout tokens the teacher produced over a run (methods with rollouts)">teacher tokens</th>
            <th title="quality, params, memory, latency">vs ft</th>
            <th title="quality, params, memory, latency">vs lora</th>
          </tr>
        </thead>
        <tbody>
          {METHODS.map((m) => {
            const r = byMethod.get(m);
            const state = paper.plan ? rowState(m, paper) : 'waiting';
            return (
              <tr key={m} data-testid={`paper-row-${m}`} data-state={state} title={METHOD_SPECS[m].summary}>
                <td>
                  <code>{m}</code>
                </td>
                <td>
                  {paper.runs[m]?.length ?? 0}/{paper.plan?.seeds ?? page.paperSeeds}
                  {state === 'running' && paper.current && ` (step ${paper.current.done}/${paper.current.of})`}
                </td>
                {r ? (
                  <>
                    <td>{Math.round(r.trainableParams.mean)}</td>
                    <td>{pm({ mean: r.peakBytes.mean / 1048576, std: r.peakBytes.std / 1048576 }, 2)}</td>
                    {liveGpu && <td>{r.liveGpuBytes ? pm({ mean: r.liveGpuBytes.mean / 1048576, std: r.liveGpuBytes.std / 1048576 }, 2) : '—'}</td>}
                    <td>{pm(r.msPerToken, 2)}</td>
                    <td>{pm(r.rougeL, 3)}</td>
                    <td>{pm(r.perplexity, 3)}</td>
                    <td>{emDefined ? pm(r.exactMatch, 3) : '—'}</td>
                    <td data-testid={`paper-share-${m}`}>{r.teacherTokenShare ? pctPm(r.teacherTokenShare) : '—'}</td>
                    <td>{rel(r, ft)}</td>
                    <td>{rel(r, lora)}</td>
                  </>
                ) : (
                  <td colSpan={liveGpu ? 10 : 9} className="muted">
                    {state === 'running' ? 'running…' : '—'}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {sti && ft && lora && (
        <table className="small" data-testid="paper-ratios">
          <thead>
            <tr>
              <th>sti-lora against</th>
              <th>quality</th>
              <th>trainable params</th>
              <th>memory</th>
              <th>inference</th>
            </tr>
          </thead>
          <tbody>
            {(
              [
                ['ft', ft, PAPER.vsFt],
                ['lora', lora, PAPER.vsLora],
              ] as const
            ).map(([name, ref, paperFig]) => {
              const q = ratios(sti, ref);
              return (
                <tr key={name}>
                  <td>{name}: ours (paper)</td>
                  <td>
                    {pct(q.quality)} ({pct(paperFig.quality)})
                  </td>
                  <td>
                    {signed(q.params)} ({signed(paperFig.params)})
                  </td>
                  <td>
                    {signed(q.memory)} ({signed(paperFig.memory)})
                  </td>
                  <td>
                    {signed(q.inference)} ({signed(paperFig.inference)})
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <h3>Accuracy by output position</h3>
      <div className="controls" role="radiogroup" aria-label="test lengths of the chart">
        {(
          [
            ['all', 'all test lengths'],
            ['beyond', 'lengths beyond training'],
          ] as const
        ).map(([w, label]) => (
          <label key={w}>
            <input type="radio" name="paper-positions" data-testid={`paper-positions-${w}`} checked={which === w} onChange={() => setWhich(w)} /> {label}
          </label>
        ))}
        <span className="muted">mean over the seeds; a position counts the test strings long enough to reach it, so errors that compound show as a falling line</span>
      </div>
      {positions === 0 ? (
        <Empty>{!rows.length ? 'No finished rows yet.' : which === 'beyond' ? 'This preset has no test lengths beyond its training lengths.' : 'This preset has no per-position accuracy (text continuation).'}</Empty>
      ) : (
        <Chart
          rows={Array.from({ length: positions }, (_, t) => ({ position: t, ...Object.fromEntries(rows.map((r) => [r.method, r.positions[which][t]?.mean ?? null])) }))}
          x="position"
          series={rows.map((r) => ({ key: r.method, name: r.method, color: color(METHODS.indexOf(r.method)), points: true }))}
        />
      )}
      <div className="controls">
        <button type="button" data-testid="paper-export-md" disabled={rows.length === 0 || running} onClick={() => download(`${stem}.md`, exportMarkdown(rows, paper, location.href), 'text/markdown')}>
          Export Markdown
        </button>
        <button type="button" data-testid="paper-export-csv" disabled={rows.length === 0 || running} onClick={() => download(`${stem}.csv`, tableCsv(rows), 'text/csv')}>
          Export CSV
        </button>
        <button type="button" data-testid="paper-export-positions" disabled={positions === 0 || running} onClick={() => download(`${stem}-positions${which === 'all' ? '-all' : ''}.csv`, positionCsv(rows, { which }), 'text/csv')}>
          Export positions CSV
        </button>
      </div>
      {PRESETS[config.preset]?.base.kind === 'imported' && <ResourcesTable busy={running} />}
    </Panel>
  );
}
