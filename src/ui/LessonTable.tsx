/** A lesson's small paper table: its rows as they finish, ratios against ft, and accuracy by output position. */
import { Fragment } from 'react';
import { METHOD_SPECS, type Method, pct, signed, ratios, tableRows } from '../state/catalog';
import { useApp } from '../state/store';
import { Chart, color } from './Chart';
import { Empty, Panel } from './Panel';

const fmt = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '—');

export function LessonTable({ methods }: { methods: Method[] }) {
  const paper = useApp((s) => s.paper);
  const progress = useApp((s) => s.progress);
  const rows = tableRows(methods.filter((m) => (paper.runs[m]?.length ?? 0) > 0).map((m) => ({ method: m, runs: paper.runs[m]! })));
  const ft = rows.find((r) => r.method === 'ft');
  const positions = Math.max(0, ...rows.map((r) => r.positions.all.length));
  const running = paper.status === 'running';
  return (
    <Panel
      id="table"
      title="The comparison"
      explainer="Each row is one run of the method with the same steps, data and seed, evaluated on the same test set. ROUGE-L: longest common subsequence F1 of the answers (1 is perfect). Peak: the largest memory of one training step. ms/token: generation time of the model the method deploys."
    >
      <p className="stats" data-testid="lesson-table-status" data-status={paper.status}>
        {paper.status === 'idle' ? `${methods.length} runs, not started` : paper.status}
        {running && paper.current && ` · ${paper.current.method}: step ${paper.current.done}/${paper.current.of}`}
        {running && progress && ` · ${progress.what}: ${progress.done}/${progress.of}`}
      </p>
      <div className="table-scroll">
        <table className="small paper-table lesson-table" data-testid="lesson-table">
          <thead>
            <tr>
              <th>method</th>
              <th>trainable params</th>
              <th>peak MB</th>
              <th>ms/token</th>
              <th>ROUGE-L</th>
              <th>teacher tokens</th>
              {ft && <th title="quality, trainable params, memory, latency against ft">vs ft</th>}
            </tr>
          </thead>
          <tbody>
            {methods.map((m) => {
              const r = rows.find((x) => x.method === m);
              const q = r && ft && r !== ft ? ratios(r, ft) : null;
              return (
                <tr key={m} data-testid={`lesson-row-${m}`} data-state={r ? 'done' : 'waiting'} title={METHOD_SPECS[m].summary}>
                  <td>
                    <code>{m}</code>
                  </td>
                  {r ? (
                    <>
                      <td>{Math.round(r.trainableParams.mean).toLocaleString('en-US')}</td>
                      <td>{fmt(r.peakBytes.mean / 1048576, 2)}</td>
                      <td>{fmt(r.msPerToken.mean, 2)}</td>
                      <td>{fmt(r.rougeL.mean, 3)}</td>
                      <td>{r.teacherTokenShare ? pct(r.teacherTokenShare.mean) : '—'}</td>
                      {ft && (
                        <td>
                          {q
                            ? [pct(q.quality), signed(q.params), signed(q.memory), signed(q.inference)].map((x, i) => (
                                <Fragment key={i}>
                                  {i > 0 && ', '}
                                  <span className="nowrap">{x}</span>
                                </Fragment>
                              ))
                            : '—'}
                        </td>
                      )}
                    </>
                  ) : (
                    <td colSpan={ft ? 6 : 5} className="muted">
                      {paper.current?.method === m && running ? 'running…' : '—'}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {positions === 0 ? (
        <Empty>Accuracy by output position appears as rows finish.</Empty>
      ) : (
        <>
          <h3>Accuracy by output position (all test lengths)</h3>
          <Chart
            rows={Array.from({ length: positions }, (_, t) => ({ position: t, ...Object.fromEntries(rows.map((r) => [r.method, r.positions.all[t]?.mean ?? null])) }))}
            x="position"
            xLabel="output position"
            series={rows.map((r, i) => ({ key: r.method, name: r.method, color: color(i), points: true }))}
          />
        </>
      )}
    </Panel>
  );
}
