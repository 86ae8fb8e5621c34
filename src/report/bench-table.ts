/** The benchmark's rows as a Markdown table (Node's `npm run bench` and the browser bench alike). */
import type { BenchRow, CompareRow } from '../protocol/bench';

const MB = (b: number | null) => (b === null ? '—' : (b / 2 ** 20).toFixed(1));
const int = (x: number) => Math.round(x).toLocaleString('en-US');

export function benchTable(rows: BenchRow[]): string {
  const head = ['preset', 'method', 'kernels', 'ms/step (median)', 'dispatches', 'submits', 'readbacks', 'passes', 'new buffers', 'train tok/s', 'rollout tok/s', 'live GPU MB', 'step peak MB', 'tensor Δ'];
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
    r.tensorGrowth === undefined ? '—' : String(r.tensorGrowth),
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n');
}

const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

/** The side-by-side of `bench --compare`: one row per implementation, then ours ÷ theirs. */
export function compareTable(rows: CompareRow[]): string {
  const head = ['implementation', 'train tok/s', 'ms/step', 'dispatches/step', 'submits/step', 'readbacks/step', 'gen tok/s', 'gen dispatches/token', 'gen readbacks/token'];
  const line = (c: string[]) => `| ${c.join(' | ')} |`;
  const body = rows.map((r) =>
    line([r.impl, int(r.train.tokensPerSec), r.train.msPerStep.toFixed(0), int(r.train.dispatches), int(r.train.submits), int(r.train.readbacks), r.gen.tokensPerSec.toFixed(1), r.gen.dispatchesPerToken.toFixed(1), r.gen.readbacksPerToken.toFixed(2)]),
  );
  const out = [line(head), `|${head.map(() => '---').join('|')}|`, ...body];
  if (rows.length === 2) {
    const [a, b] = rows as [CompareRow, CompareRow];
    out.push(line([`${a.impl} ÷ ${b.impl}`, ratio(a.train.tokensPerSec, b.train.tokensPerSec), '', ratio(a.train.dispatches, b.train.dispatches), '', '', ratio(a.gen.tokensPerSec, b.gen.tokensPerSec), ratio(a.gen.dispatchesPerToken, b.gen.dispatchesPerToken), '']));
  }
  return out.join('\n');
}
