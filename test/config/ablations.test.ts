/** Ablations: unique row ids, each row's knobs over the method's defaults with the paper table's seeds, a valid config. */
import { expect, test } from 'vitest';
import { ABLATIONS, ABLATION_NAMES, ablationConfig } from '../../src/config/ablations';
import { earlierReading } from '../../src/config/knobs';
import { paperConfig } from '../../src/config/paper-plan';
import { ablationMarkdown } from '../../src/report/ablation';
import { tableRows } from '../../src/report/paper-table';
import type { FinalRecord } from '../../src/protocol/records';

test('every ablation has unique row ids, and seed k of a row is the paper table\'s seed k with the row\'s knobs', () => {
  for (const name of ABLATION_NAMES) {
    const rows = ABLATIONS[name].rows;
    expect(new Set(rows.map((r) => r.id)).size, name).toBe(rows.length);
    for (const row of rows) {
      const cfg = ablationConfig({ preset: 'cycle-ext', steps: 7, seeds: 2 }, row, 1);
      expect(cfg).toMatchObject({ ...row.knobs, method: row.method, steps: 7, seedData: 2, seedInit: 102, seedSample: 1002 });
      const plain = paperConfig({ preset: 'cycle-ext', steps: 7, seeds: 2 }, row.method, 1);
      const changed = Object.keys(cfg).filter((k) => JSON.stringify(cfg[k as keyof typeof cfg]) !== JSON.stringify(plain[k as keyof typeof plain]));
      expect(changed.every((k) => k in row.knobs), `${row.id} changes only its knobs`).toBe(true);
    }
  }
});

test("the schedules ablation has SWITCH's shapes and the earlier reading for sti-lora and sti, the references and the λ sweep", () => {
  const rows = ABLATIONS.schedules.rows;
  const knobsOf = (id: string) => rows.find((r) => r.id === id)!.knobs;
  expect(knobsOf('sti-lora linear')).toEqual({ tauShape: 'linear' });
  expect(knobsOf('sti step-fkl')).toEqual(earlierReading({ divergence: 'fkl' }));
  expect(rows.filter((r) => r.id.startsWith('sti-lora λ')).map((r) => r.knobs)).toEqual([0.02, 0.05, 0.2].map((tauLambda) => ({ tauLambda })));
  expect(rows.map((r) => r.method)).toEqual(expect.arrayContaining(['gkd', 'kd']));
});

test('the report: a line per row in the ablation order, with what it runs and its teacher-token share', () => {
  const rec = (share?: number) => ({ rougeL: 0.5, perplexity: 3, exactMatch: 0.25, trainableParams: 10, peakBytes: 1, msPerToken: 1, accuracyByPosition: [], accuracyByPositionBeyond: [], byLength: [], ...(share === undefined ? {} : { teacherTokenShare: share }) }) as unknown as FinalRecord;
  const rows = tableRows([
    { method: 'sti-lora', label: 'sti-lora exp', runs: [rec(0.3), rec(0.5)] },
    { method: 'kd', label: 'kd', runs: [rec()] },
  ]);
  const md = ablationMarkdown(ABLATIONS.schedules, rows, { exactMatch: true }).split('\n');
  expect(md[2]).toMatch(/^\| `sti-lora exp` \| τ0·e\^\(−λt\).* \| 0\.500 \| 3\.000 \| 0\.250 \| 40% ± 14% \| 2 \|$/);
  expect(md[3]).toMatch(/^\| `kd` \| word-level KD .* \| — \| 1 \|$/);
});
