/**
 * Accuracy by output position and exact match by test length, over a table's rows: CSV, a small
 * standalone SVG chart and Markdown. Pure functions over the rows (paper-table.ts).
 */
import type { EvalRecord } from '../protocol/records';
import { type PositionSet, type Stat, type TableRow, pm } from './paper-table';

const fixed = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '—');

const curveOf = (e: EvalRecord, which: PositionSet) => (which === 'all' ? e.accuracyByPosition : e.accuracyByPositionBeyond);

/**
 * Accuracy by output position (over all test lengths, or those beyond training): per method the
 * mean and std over seeds, and the teacher's accuracy where its evaluation is given. A position
 * counts the test examples whose gold response reaches it, so later positions are the longer lengths'.
 */
export function positionCsv(rows: TableRow[], opts: { which?: PositionSet; teacher?: EvalRecord } = {}): string {
  const which = opts.which ?? 'beyond';
  const teacher = opts.teacher ? curveOf(opts.teacher, which) : null;
  const len = Math.max(0, teacher?.length ?? 0, ...rows.map((r) => r.positions[which].length));
  const lines = [['position', ...rows.flatMap((r) => [r.label, `${r.label}_std`]), ...(teacher ? ['teacher'] : [])].join(',')];
  const cell = (x: number | undefined) => (x === undefined ? '' : x.toFixed(4));
  for (let t = 0; t < len; t++) lines.push([t, ...rows.flatMap((r) => [cell(r.positions[which][t]?.mean), cell(r.positions[which][t]?.std)]), ...(teacher ? [cell(teacher[t])] : [])].join(','));
  return lines.join('\n') + '\n';
}

const SVG_COLORS = ['#3b6fd6', '#e2802f', '#2a9d57', '#b23a48', '#7b5cc4', '#1b998b', '#c49a1b', '#555'];

/** The same as a small standalone SVG line chart: a line per method (mean), a band of ± one std, the teacher dashed. */
export function positionSvg(rows: TableRow[], title: string, opts: { which?: PositionSet; teacher?: EvalRecord } = {}): string {
  const which = opts.which ?? 'beyond';
  const teacher = opts.teacher ? curveOf(opts.teacher, which) : null;
  const W = 680;
  const H = 340;
  const L = 48;
  const B = 36;
  const len = Math.max(1, teacher?.length ?? 0, ...rows.map((r) => r.positions[which].length));
  const x = (t: number) => L + (t / Math.max(1, len - 1)) * (W - L - 150);
  const y = (a: number) => H - B - Math.min(1, Math.max(0, a)) * (H - B - 30);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${L}" y="16" font-size="13">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - 150}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="30" x2="${L}" y2="${H - B}" stroke="#999"/>`,
    ...[0, 0.5, 1].map((a) => `<text x="${L - 6}" y="${y(a) + 4}" text-anchor="end">${a}</text>`),
    ...[0, Math.floor((len - 1) / 2), len - 1].map((t) => `<text x="${x(t)}" y="${H - B + 14}" text-anchor="middle">${t}</text>`),
    `<text x="${(L + W - 150) / 2}" y="${H - 8}" text-anchor="middle">output position</text>`,
  ];
  const pts = (c: (readonly [number, number])[]) => c.map(([t, a]) => `${x(t).toFixed(1)},${y(a).toFixed(1)}`).join(' ');
  const curve = (c: number[]) => pts(c.map((a, t) => [t, a] as const));
  rows.forEach((r, i) => {
    const c = r.positions[which];
    const color = SVG_COLORS[i % SVG_COLORS.length];
    if (c.some((s) => s.std > 0)) {
      const band = [...c.map((s, t) => [t, s.mean + s.std] as const), ...c.map((s, t) => [t, s.mean - s.std] as const).reverse()];
      parts.push(`<polygon fill="${color}" fill-opacity="0.12" stroke="none" points="${pts(band)}"/>`);
    }
    // Past the palette, colours repeat: the second round is dotted (legend and line alike).
    const dash = i >= SVG_COLORS.length ? ' stroke-dasharray="2 2"' : '';
    if (c.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.6"${dash} points="${curve(c.map((s) => s.mean))}"/>`);
    parts.push(`<text x="${W - 140}" y="${40 + 16 * i}" fill="${color}">${esc(r.label)}${dash ? ' (dotted)' : ''}</text>`);
  });
  if (teacher?.length) {
    parts.push(`<polyline fill="none" stroke="#000" stroke-width="1.4" stroke-dasharray="5 3" points="${curve(teacher)}"/>`);
    parts.push(`<text x="${W - 140}" y="${40 + 16 * rows.length}">teacher (dashed)</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Exact match by test length: a row per method (mean ± std over seeds) and the teacher's, lengths beyond training marked. */
export function byLengthMarkdown(rows: TableRow[], teacher?: EvalRecord, rowHead = 'method'): string {
  const lengths = rows[0]?.byLength ?? [];
  if (!lengths.length) return '';
  const head = lengths.map((g) => `${g.length}${g.beyondTraining ? ' (beyond)' : ''}`);
  const out = [`| ${rowHead} | ${head.join(' | ')} |`, `|---|${lengths.map(() => '---|').join('')}`];
  for (const r of rows) out.push(`| \`${r.label}\` | ${lengths.map((g) => { const s = r.byLength.find((x) => x.length === g.length); return s ? pm(s.exactMatch, 3) : '—'; }).join(' | ')} |`);
  if (teacher) out.push(`| teacher | ${lengths.map((g) => { const s = teacher.byLength.find((x) => x.length === g.length); return s ? fixed(s.exactMatch, 3) : '—'; }).join(' | ')} |`);
  return out.join('\n');
}
