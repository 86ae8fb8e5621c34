/** The benchmark's rows as a Markdown table (Node's `npm run bench` and the browser bench alike). */
import type { BenchRow } from '../protocol/bench';

const MB = (b: number | null) => (b === null ? '—' : (b / 2 ** 20).toFixed(1));
const int = (x: number) => Math.round(x).toLocaleString('en-US');

export function benchTable(rows: BenchRow[]): string {
  const head = ['preset', 'method', 'kernels', 'ms/step (median)', 'dispatches', 'submits', 'readbacks', 'passes', 'new buffers', 'train tok/s', 'rollout tok/s', 'live GPU MB', 'step peak MB'];
  const body = rows.map((r) => [
    r.preset,
    `${r.method}${r.onPolicySteps > 0 && r.onPolicySteps < r.timedSteps ? ` (${r.onPolicySteps}/${r.timedSteps} on-policy)` : ''}`,
    r.kernels,
    r.msPerStepMedian.toFixed(1),
    int(r.dispatchesPerStep),
    int(r.submitsPerStep),
    int(r.readbacksPerStep),
    int(r.passesPerStep),
    int(r.newBuffersPerStep),
    int(r.trainTokensPerSec),
    r.rolloutTokensPerSec === null ? '—' : int(r.rolloutTokensPerSec),
    MB(r.liveGpuBytesMax),
    MB(r.logicalPeakBytes),
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n');
}
