/**
 * An ablation's report (`npm run ablation`): a row per configuration with its quality, its exact
 * match and the share of rollout tokens the teacher produced (mean ± std over seeds); exact match
 * by test length and accuracy by position come from positions.ts. Pure functions over the rows.
 */
import type { Ablation } from '../config/ablations';
import { type TableRow, pctPm, pm } from './paper-table';

/** The ablation's table as Markdown: its rows in the ablation's order, what each changes. */
export function ablationMarkdown(ablation: Ablation, rows: TableRow[], opts: { exactMatch: boolean }): string {
  const about = new Map(ablation.rows.map((r) => [r.id, r.about]));
  const out = [
    '| row | what it runs | ROUGE-L | perplexity | exact match | teacher tokens | seeds |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const share = r.teacherTokenShare ? pctPm(r.teacherTokenShare) : '—';
    out.push(`| \`${r.label}\` | ${about.get(r.label) ?? ''} | ${pm(r.rougeL, 3)} | ${pm(r.perplexity, 3)} | ${opts.exactMatch ? pm(r.exactMatch, 3) : '—'} | ${share} | ${r.seeds} |`);
  }
  return out.join('\n');
}
