/**
 * The resources table in the Paper view (with a model brought in): per method the peak of one
 * training step by part and the deployed model's ms/token, and `sti-lora`'s six ratios against
 * `ft` and `lora` beside the paper's — the same rows as `npm run paper-table -- --resources`,
 * measured on this machine's GPU. No quality: a minute or so on a GPU at GPT-2 scale.
 */
import { MEMORY_ORDER, MEMORY_PARTS, METHODS, METHOD_SPECS, PAPER, resourcesMarkdown, signed, stiRatios } from '../state/catalog';
import { runResourcesTable, stopPaper } from '../state/engine';
import { download } from '../state/persist';
import { useApp } from '../state/store';

const MB = (b: number | undefined) => (b === undefined ? '—' : (b / 2 ** 20).toFixed(1));

export function ResourcesTable({ busy }: { busy: boolean }) {
  const res = useApp((s) => s.resources);
  const engine = useApp((s) => s.engine);
  const imported = useApp((s) => s.imported);
  const running = res.status === 'running';
  const gpu = res.rows.some((r) => r.liveGpuBytes !== undefined);
  const buffers = res.rows.some((r) => r.bufferPeakBytes !== undefined);
  const ours = stiRatios(res.rows);
  const exportMd = () =>
    [
      `# Resources: preset \`${res.plan?.preset}\``,
      '',
      `Measured in KD Playground on the \`${res.backend ?? '?'}\` backend with ${imported.kind === 'ready' ? imported.info.origin : 'the imported model'}: ${res.plan?.steps} steps of ${res.plan?.batchSize} sequences per method, then one more profiled; ms/token over ${res.plan?.decodeRuns} runs of ${res.plan?.decodeTokens} tokens. The same rows as \`npm run paper-table -- --preset ${res.plan?.preset} --teacher DIR --resources\`.`,
      '',
      resourcesMarkdown(res.rows),
      '',
    ].join('\n');
  return (
    <section aria-label="Resources" data-testid="resources">
      <h3>Resources at the model's scale</h3>
      <p className="muted">
        The paper's memory and latency claims are about models whose weights dominate memory. With the model you brought as the teacher, each method runs{' '}
        {res.plan?.steps ?? 2} steps and one more is profiled: its peak by part, and the deployed model's latency. Quality is not measured (it does not change these).
      </p>
      <div className="controls">
        {running ? (
          <button type="button" data-testid="resources-stop" onClick={() => void stopPaper()}>
            Stop
          </button>
        ) : (
          <button type="button" data-testid="resources-run" disabled={engine.kind !== 'ready' || busy} onClick={() => void runResourcesTable()}>
            Measure resources
          </button>
        )}
        <span className="status" data-testid="resources-status" data-status={res.status}>
          {res.status === 'idle' ? `${METHODS.length} methods, no quality` : `${res.status}${res.current ? ` · ${res.current}` : ''}${res.wallSeconds !== null ? ` · ${res.wallSeconds} s` : ''}`}
        </span>
        {res.rows.length > 0 && !running && (
          <button type="button" data-testid="resources-export" onClick={() => download(`resources-${res.plan?.preset}.md`, exportMd(), 'text/markdown')}>
            Markdown
          </button>
        )}
      </div>
      {res.status === 'failed' && (
        <p className="notice error" role="alert" data-testid="resources-error">
          The resources table stopped: {res.message}
        </p>
      )}
      {res.rows.length > 0 && (
        <table className="small paper-table" data-testid="resources-table">
          <thead>
            <tr>
              <th>method</th>
              <th>trainable params</th>
              <th title="logical peak of one training step (tf.profile), the optimiser's update included">peak MiB</th>
              {buffers && <th title="the same peak counting each buffer once: tensors sharing one (the student's blocks cut from the teacher, the copies a gradient saves) count once">distinct buffers MiB</th>}
              {MEMORY_ORDER.map((p) => (
                <th key={p} title={MEMORY_PARTS[p].how}>
                  {MEMORY_PARTS[p].label}
                </th>
              ))}
              {gpu && <th title="device bytes in use after a step">live GPU MiB</th>}
              <th>ms/token</th>
            </tr>
          </thead>
          <tbody>
            {res.rows.map((r) => (
              <tr key={r.method} data-testid={`resources-row-${r.method}`} title={METHOD_SPECS[r.method].summary}>
                <td>
                  <code>{r.method}</code>
                </td>
                <td>{r.trainableParams.toLocaleString('en-US')}</td>
                <td>{MB(r.peakBytes)}</td>
                {buffers && <td>{MB(r.bufferPeakBytes)}</td>}
                {MEMORY_ORDER.map((p) => (
                  <td key={p}>{MB(r.breakdown[p])}</td>
                ))}
                {gpu && <td>{MB(r.liveGpuBytes)}</td>}
                <td>{r.msPerToken.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {ours && (
        <table className="small ratios" data-testid="resources-ratios">
          <thead>
            <tr>
              <th>sti-lora against</th>
              <th>trainable params (paper)</th>
              <th>GPU memory (paper)</th>
              <th>inference time (paper)</th>
            </tr>
          </thead>
          <tbody>
            {(['vsFt', 'vsLora'] as const).map((k) => (
              <tr key={k} data-testid={`resources-${k}`}>
                <td>{k === 'vsFt' ? 'full fine-tuning' : 'LoRA'}</td>
                <td>
                  {signed(ours[k].params)} ({signed(PAPER[k].params)})
                </td>
                <td>
                  {signed(ours[k].memory)}
                  {ours[k].buffers !== undefined && ` · buffers ${signed(ours[k].buffers!)}`} ({signed(PAPER[k].memory)})
                </td>
                <td>
                  {signed(ours[k].inference)} ({signed(PAPER[k].inference)})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
