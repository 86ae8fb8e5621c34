/**
 * The paper table (docs/method.md, "The methods"): every method's final metrics over seeds,
 * mean ± std, each relative to `ft` and to `lora`, beside the paper's ratios; and accuracy by
 * output position beyond the training lengths. Pure functions over final records: the CLI and the
 * app both use them.
 */
import { METHODS, type Method } from '../config/knobs';
import type { FinalRecord } from '../protocol/records';

export { byLengthMarkdown, positionCsv, positionSvg } from './positions';

export interface MethodRuns {
  method: Method;
  /** An ablation's row name (default: the method). */
  label?: string;
  runs: FinalRecord[];
}

/** What a merge reads from one result file of `paper-table --out` (its P.json). */
export interface TablePart {
  /** Where the part came from (named in errors and in the merged table). */
  name: string;
  steps: number;
  seeds: number;
  backend: string;
  teacher?: string;
  runs: MethodRuns[];
}

/**
 * The runs of several parts of one table — each made with its own `--methods`, side by side or on
 * other machines — as one table's runs, in the table's method order. Quality figures do not depend
 * on which process made a run, so the merge is the table one process would have made; it refuses
 * parts made with another budget, backend or teacher, a method given twice, and a planned method
 * (all eight, or `methods`) missing or with fewer seeds than planned.
 */
export function mergeParts(parts: TablePart[], plan: { steps: number; seeds: number; backend: string; teacher: string; methods?: readonly Method[] }): MethodRuns[] {
  const found = new Map<Method, { part: string; runs: MethodRuns }>();
  for (const part of parts) {
    if (part.steps !== plan.steps || part.seeds !== plan.seeds) throw new Error(`${part.name} was made with ${part.steps} steps and ${part.seeds} seeds, not ${plan.steps} and ${plan.seeds}`);
    if (part.backend !== plan.backend) throw new Error(`${part.name} was made on ${part.backend}, not ${plan.backend}: quality figures reproduce exactly only on one backend`);
    if (part.teacher !== undefined && part.teacher !== plan.teacher) throw new Error(`${part.name} was made with the teacher ${part.teacher}; the teacher now is ${plan.teacher}`);
    for (const mr of part.runs) {
      if (mr.runs.length === 0) continue;
      const had = found.get(mr.method);
      if (had) throw new Error(`${mr.method} is in both ${had.part} and ${part.name}`);
      found.set(mr.method, { part: part.name, runs: mr });
    }
  }
  const want = METHODS.filter((m) => !plan.methods || plan.methods.includes(m));
  return want.map((m) => {
    const got = found.get(m);
    if (!got) throw new Error(`no part has the runs of ${m}`);
    if (got.runs.runs.length !== plan.seeds) throw new Error(`${got.part} has ${got.runs.runs.length} runs of ${m}, not ${plan.seeds}`);
    return got.runs;
  });
}

export interface Stat {
  mean: number;
  std: number;
}

export interface TableRow {
  method: Method;
  /** What the row is called: an ablation's row name, else the method. */
  label: string;
  seeds: number;
  trainableParams: Stat;
  /** Logical peak bytes of a training step (tf.profile): the same quantity on every backend. */
  peakBytes: Stat;
  /** webgpu only: the largest live GPU bytes after a step (a different quantity: shown apart). */
  liveGpuBytes?: Stat;
  msPerToken: Stat;
  rougeL: Stat;
  perplexity: Stat;
  exactMatch: Stat;
  /** Runs with rollouts: the share of rollout tokens the teacher produced. */
  teacherTokenShare?: Stat;
  /** Accuracy at each output position, mean ± std over seeds: over all test lengths, and over those beyond training. */
  positions: { all: Stat[]; beyond: Stat[] };
  /** Exact match at each test length, mean ± std over seeds. */
  byLength: { length: number; beyondTraining: boolean; exactMatch: Stat }[];
}

/** Which test lengths a position curve is taken over. */
export type PositionSet = 'all' | 'beyond';

/** The paper's figures for the combined method (STI + LoRA) against full fine-tuning and LoRA. */
export const PAPER = {
  vsFt: { quality: 0.97, params: -0.99, memory: -0.75, inference: -0.3 },
  vsLora: { quality: 0.98, params: -0.49, memory: -0.3, inference: -0.3 },
} as const;

export function stat(xs: number[]): Stat {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(n, 1);
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

function statCurve(curves: number[][]): Stat[] {
  const len = Math.max(0, ...curves.map((c) => c.length));
  return Array.from({ length: len }, (_, t) => stat(curves.map((c) => c[t]).filter((x): x is number => x !== undefined)));
}

/** Exact match by test length over the seeds' records (lengths in the first record's order). */
function byLengthStats(runs: FinalRecord[]): TableRow['byLength'] {
  return (runs[0]?.byLength ?? []).map((g) => ({
    length: g.length,
    beyondTraining: g.beyondTraining,
    exactMatch: stat(runs.map((r) => r.byLength.find((x) => x.length === g.length)?.exactMatch).filter((x): x is number => x !== undefined)),
  }));
}

export function tableRows(all: MethodRuns[]): TableRow[] {
  return all.map(({ method, label, runs }) => ({
    method,
    label: label ?? method,
    seeds: runs.length,
    trainableParams: stat(runs.map((r) => r.trainableParams)),
    peakBytes: stat(runs.map((r) => r.peakBytes)),
    ...(runs.length > 0 && runs.every((r) => r.peakGpuBytes !== undefined) ? { liveGpuBytes: stat(runs.map((r) => r.peakGpuBytes!)) } : {}),
    msPerToken: stat(runs.map((r) => r.msPerToken)),
    rougeL: stat(runs.map((r) => r.rougeL)),
    perplexity: stat(runs.map((r) => r.perplexity)),
    exactMatch: stat(runs.map((r) => r.exactMatch)),
    ...(runs.length > 0 && runs.every((r) => r.teacherTokenShare !== undefined) ? { teacherTokenShare: stat(runs.map((r) => r.teacherTokenShare!)) } : {}),
    positions: { all: statCurve(runs.map((r) => r.accuracyByPosition)), beyond: statCurve(runs.map((r) => r.accuracyByPositionBeyond)) },
    byLength: byLengthStats(runs),
  }));
}

export interface Ratios {
  /** ROUGE-L as a share of the reference's. */
  rougeL: number;
  /** Perplexity quality as a share (reference ÷ this: lower perplexity is better). */
  perplexity: number;
  /** The paper's "quality": the mean of the two shares above. */
  quality: number;
  /** Relative change (−0.99 = 99% fewer). */
  params: number;
  memory: number;
  inference: number;
}

export function ratios(row: TableRow, ref: TableRow): Ratios {
  const rougeL = row.rougeL.mean / ref.rougeL.mean;
  const perplexity = ref.perplexity.mean / row.perplexity.mean;
  return {
    rougeL,
    perplexity,
    quality: (rougeL + perplexity) / 2,
    params: row.trainableParams.mean / ref.trainableParams.mean - 1,
    memory: row.peakBytes.mean / ref.peakBytes.mean - 1,
    inference: row.msPerToken.mean / ref.msPerToken.mean - 1,
  };
}

const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '—');
/** A share as a percentage: 0.97 → "97%". */
export const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '—');
/** A relative change: −0.99 → "−99%". */
export const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(0)}%` : '—');
/** A share's mean ± std as percentages: "53% ± 4%". */
export const pctPm = (s: Stat) => (s.std > 0 ? `${pct(s.mean)} ± ${pct(s.std)}` : pct(s.mean));
/** mean ± std (the mean alone for one seed). */
export const pm = (s: Stat, d: number) => (s.std > 0 ? `${fixed(s.mean, d)} ± ${fixed(s.std, d)}` : fixed(s.mean, d));

/**
 * The table and the paper comparison as Markdown. Exact match is shown only where it is defined
 * (tasks with one right answer; not text continuation).
 */
export function tableMarkdown(rows: TableRow[], memoryUnit: string, opts: { exactMatch: boolean } = { exactMatch: true }): string {
  const ft = rows.find((r) => r.method === 'ft');
  const lora = rows.find((r) => r.method === 'lora');
  const gpu = rows.some((r) => r.liveGpuBytes);
  const mb = (s: Stat | undefined) => (s ? pm({ mean: s.mean / 1048576, std: s.std / 1048576 }, 2) : '—');
  const out: string[] = [
    `| method | trainable params | peak step ${memoryUnit} (logical) |${gpu ? ` live GPU ${memoryUnit} |` : ''} ms/token | ROUGE-L | perplexity | exact match | teacher tokens | vs ft: quality, params, memory, latency | vs lora: quality, params, memory, latency |`,
    `|---|---|---|${gpu ? '---|' : ''}---|---|---|---|---|---|---|`,
  ];
  for (const r of rows) {
    const rel = (ref: TableRow | undefined) => {
      if (!ref || ref === r) return '—';
      const q = ratios(r, ref);
      return `${pct(q.quality)}, ${signed(q.params)}, ${signed(q.memory)}, ${signed(q.inference)}`;
    };
    out.push(
      `| \`${r.method}\` | ${Math.round(r.trainableParams.mean)} | ${mb(r.peakBytes)} |${gpu ? ` ${mb(r.liveGpuBytes)} |` : ''} ${pm(r.msPerToken, 3)} | ${pm(r.rougeL, 3)} | ${pm(r.perplexity, 3)} | ${opts.exactMatch ? pm(r.exactMatch, 3) : '—'} | ${r.teacherTokenShare ? pctPm(r.teacherTokenShare) : '—'} | ${rel(ft)} | ${rel(lora)} |`,
    );
  }
  const sti = rows.find((r) => r.method === 'sti-lora');
  if (sti && ft && lora) {
    const a = ratios(sti, ft);
    const b = ratios(sti, lora);
    out.push(
      '',
      '`sti-lora` (the paper\'s method) against the paper\'s figures:',
      '',
      '| ratio | paper | ours |',
      '|---|---|---|',
      `| quality vs full fine-tuning (ROUGE-L, perplexity) | ${pct(PAPER.vsFt.quality)} | ${pct(a.quality)} (ROUGE-L ${pct(a.rougeL)}, perplexity ${pct(a.perplexity)}) |`,
      `| quality vs LoRA | ${pct(PAPER.vsLora.quality)} | ${pct(b.quality)} (ROUGE-L ${pct(b.rougeL)}, perplexity ${pct(b.perplexity)}) |`,
      `| trainable parameters vs full fine-tuning | ${signed(PAPER.vsFt.params)} | ${signed(a.params)} |`,
      `| trainable parameters vs LoRA | ${signed(PAPER.vsLora.params)} | ${signed(b.params)} |`,
      `| GPU memory vs full fine-tuning | ${signed(PAPER.vsFt.memory)} | ${signed(a.memory)} |`,
      `| GPU memory vs LoRA | ${signed(PAPER.vsLora.memory)} | ${signed(b.memory)} |`,
      `| inference time vs full fine-tuning / LoRA | ${signed(PAPER.vsFt.inference)} | ${signed(a.inference)} / ${signed(b.inference)} |`,
    );
  }
  return out.join('\n');
}

/** The table as CSV: one line per method, means and standard deviations, ratios to ft and lora. */
export function tableCsv(rows: TableRow[]): string {
  const ft = rows.find((r) => r.method === 'ft');
  const lora = rows.find((r) => r.method === 'lora');
  const stats = ['trainableParams', 'peakBytes', 'msPerToken', 'rougeL', 'perplexity', 'exactMatch'] as const;
  const rel = ['quality', 'params', 'memory', 'inference'] as const;
  const head = ['method', 'seeds', ...stats.flatMap((k) => [k, `${k}Std`]), 'liveGpuBytes', 'liveGpuBytesStd', 'teacherTokenShare', 'teacherTokenShareStd', ...rel.map((k) => `${k}VsFt`), ...rel.map((k) => `${k}VsLora`)];
  const num = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : '');
  const ratioCells = (r: TableRow, ref: TableRow | undefined) => (ref ? rel.map((k) => num(ratios(r, ref)[k])) : rel.map(() => ''));
  const lines = [head.join(',')];
  for (const r of rows) {
    const gpu = r.liveGpuBytes ? [num(r.liveGpuBytes.mean), num(r.liveGpuBytes.std)] : ['', ''];
    const share = r.teacherTokenShare ? [num(r.teacherTokenShare.mean), num(r.teacherTokenShare.std)] : ['', ''];
    lines.push([r.method, r.seeds, ...stats.flatMap((k) => [num(r[k].mean), num(r[k].std)]), ...gpu, ...share, ...ratioCells(r, ft), ...ratioCells(r, lora)].join(','));
  }
  return lines.join('\n') + '\n';
}
