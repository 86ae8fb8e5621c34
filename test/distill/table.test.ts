/** The paper table's arithmetic on hand-made records. */
import { expect, test } from 'vitest';
import { METHODS, type Method } from '../../src/config/knobs';
import { PAPER, byLengthMarkdown, mergeParts, positionCsv, positionSvg, ratios, stat, tableCsv, tableMarkdown, tableRows } from '../../src/report/paper-table';
import type { EvalRecord } from '../../src/protocol/records';
import type { FinalRecord } from '../../src/protocol/records';

const rec = (o: Partial<FinalRecord>): FinalRecord =>
  ({ done: 1, rougeL: 0.5, exactMatch: 0, perplexity: 2, byLength: [], accuracyByPositionBeyond: [1, 0.5], accuracyByPosition: [], samples: [], trainableParams: 100, totalParams: 100, teacherParams: 0, peakBytes: 1000, msPerToken: 1, ...o }) as FinalRecord;

test('mean ± std, ratios against ft and lora, markdown and CSV', () => {
  expect(stat([1, 2, 3])).toEqual({ mean: 2, std: 1 });
  expect(stat([5])).toEqual({ mean: 5, std: 0 });
  const rows = tableRows([
    { method: 'ft' as Method, runs: [rec({ rougeL: 0.8, perplexity: 2, trainableParams: 10000, peakBytes: 4000, msPerToken: 2 })] },
    { method: 'lora' as Method, runs: [rec({ rougeL: 0.7, perplexity: 2.5, trainableParams: 200, peakBytes: 2000, msPerToken: 2 })] },
    { method: 'sti-lora' as Method, runs: [rec({ rougeL: 0.76, perplexity: 2.5, trainableParams: 100, peakBytes: 1000, msPerToken: 1.4, accuracyByPositionBeyond: [1, 0] }), rec({ rougeL: 0.76, perplexity: 2.5, trainableParams: 100, peakBytes: 1000, msPerToken: 1.4, accuracyByPositionBeyond: [0, 0] })] },
  ]);
  const [ft, lora, sti] = rows as [typeof rows[0], typeof rows[0], typeof rows[0]];
  const a = ratios(sti, ft);
  expect(a.rougeL).toBeCloseTo(0.95, 12);
  expect(a.perplexity).toBeCloseTo(0.8, 12);
  expect(a.quality).toBeCloseTo(0.875, 12);
  expect(a.params).toBeCloseTo(-0.99, 12);
  expect(a.memory).toBeCloseTo(-0.75, 12);
  expect(a.inference).toBeCloseTo(-0.3, 12);
  expect(ratios(sti, lora).params).toBeCloseTo(-0.5, 12);
  expect(sti.positions.beyond.map((p) => p.mean)).toEqual([0.5, 0]);
  const md = tableMarkdown(rows, 'MB');
  expect(md).toContain(`| trainable parameters vs full fine-tuning | −99% | −99% |`);
  expect(md).toContain(`| GPU memory vs full fine-tuning | −75% | −75% |`);
  expect(md).toContain('| quality vs full fine-tuning (ROUGE-L, perplexity) | 97% | 88% (ROUGE-L 95%, perplexity 80%) |');
  expect(PAPER.vsLora.params).toBe(-0.49);
  expect(positionCsv(rows).split('\n')[0]).toBe('position,ft,ft_std,lora,lora_std,sti-lora,sti-lora_std');
  expect(positionCsv(rows).split('\n')[1]).toBe('0,1.0000,0.0000,1.0000,0.0000,0.5000,0.7071');
  const csv = tableCsv(rows).trim().split('\n').map((l) => l.split(','));
  const col = (name: string) => csv[0]!.indexOf(name);
  expect(csv.map((r) => r[0])).toEqual(['method', 'ft', 'lora', 'sti-lora']);
  expect(Number(csv[3]![col('rougeL')])).toBe(0.76);
  expect(Number(csv[3]![col('qualityVsFt')])).toBeCloseTo(0.875, 5);
  expect(Number(csv[3]![col('paramsVsLora')])).toBeCloseTo(-0.5, 5);
  expect(Number(csv[3]![col('memoryVsFt')])).toBeCloseTo(-0.75, 5);
});

test('the step peak (logical, every backend) and the live GPU peak (webgpu) are two columns, never one in place of the other', () => {
  const gpuRun = (peak: number, live: number) => rec({ peakBytes: peak, peakGpuBytes: live });
  const rows = tableRows([
    { method: 'ft' as Method, runs: [gpuRun(4000, 900), gpuRun(4000, 1100)] },
    { method: 'sti-lora' as Method, runs: [gpuRun(1000, 300)] },
  ]);
  expect(rows[0]!.peakBytes.mean).toBe(4000);
  expect(rows[0]!.liveGpuBytes?.mean).toBe(1000);
  expect(ratios(rows[1]!, rows[0]!).memory).toBeCloseTo(-0.75, 12); // from the logical peaks: 1000 vs 4000
  const md = tableMarkdown(rows, 'MB');
  expect(md).toContain('peak step MB (logical) | live GPU MB |');
  const cpuOnly = tableRows([{ method: 'ft' as Method, runs: [rec({ peakBytes: 4000 })] }]);
  expect(cpuOnly[0]!.liveGpuBytes).toBeUndefined();
  expect(tableMarkdown(cpuOnly, 'MB')).not.toContain('live GPU');
  const csv = tableCsv(rows).trim().split('\n').map((l) => l.split(','));
  expect(Number(csv[1]![csv[0]!.indexOf('liveGpuBytes')])).toBe(1000);
});

test('per-position curves and exact match by length: mean ± std over seeds, and the teacher beside them', () => {
  const len = (length: number, exactMatch: number, beyondTraining = false) => ({ length, rougeL: 0, exactMatch, beyondTraining });
  const rows = tableRows([
    {
      method: 'kd' as Method,
      runs: [
        rec({ accuracyByPosition: [1, 0.5, 0], byLength: [len(4, 0.5), len(8, 0, true)] }),
        rec({ accuracyByPosition: [1, 1, 0.5], byLength: [len(4, 1), len(8, 0.25, true)] }),
      ],
    },
  ]);
  const kd = rows[0]!;
  expect(kd.positions.all.map((s) => s.mean)).toEqual([1, 0.75, 0.25]);
  expect(kd.positions.all[1]!.std).toBeCloseTo(Math.SQRT1_2 / 2, 12); // std of {0.5, 1}
  expect(kd.byLength.map((g) => [g.length, g.beyondTraining, g.exactMatch.mean])).toEqual([
    [4, false, 0.75],
    [8, true, 0.125],
  ]);
  const teacher = { byLength: [len(4, 1), len(8, 0.875, true)], accuracyByPosition: [1, 1, 0.9], accuracyByPositionBeyond: [1, 0.9] } as unknown as EvalRecord;
  const md = byLengthMarkdown(rows, teacher);
  expect(md.split('\n')[0]).toBe('| method | 4 | 8 (beyond) |');
  expect(md).toContain('| `kd` | 0.750 ± 0.354 | 0.125 ± 0.177 |');
  expect(md).toContain('| teacher | 1.000 | 0.875 |');
  const csv = positionCsv(rows, { which: 'all', teacher }).trim().split('\n');
  expect(csv[0]).toBe('position,kd,kd_std,teacher');
  expect(csv[3]).toBe('2,0.2500,0.3536,0.9000');
  const svg = positionSvg(rows, 't', { which: 'all', teacher });
  expect(svg).toContain('stroke-dasharray'); // the teacher's line
  expect(svg).toContain('<polygon'); // the ± std band
});

test('mergeParts puts the parts of a table made side by side back in the table order, and refuses parts that are not one table', () => {
  const runsOf = (m: Method, n = 2) => ({ method: m, runs: Array.from({ length: n }, (_, k) => rec({ rougeL: METHODS.indexOf(m) + k / 10 })) });
  const plan = { steps: 100, seeds: 2, backend: 'wasm', teacher: 'T' };
  const part = (name: string, methods: Method[], o: Partial<{ steps: number; seeds: number; backend: string; teacher: string }> = {}) => ({ name, steps: 100, seeds: 2, backend: 'wasm', teacher: 'T', runs: methods.map((m) => runsOf(m)), ...o });
  const a = part('a', ['skd', 'ft', 'kd', 'lora']);
  const b = part('b', ['sti', 'gkd', 'kd-lora', 'sti-lora']);
  const merged = mergeParts([a, b], plan);
  expect(merged.map((r) => r.method)).toEqual([...METHODS]);
  expect(merged.map((r) => r.runs.map((x) => x.rougeL))).toEqual(METHODS.map((_, i) => [i, i + 0.1]));
  // A method a process had not reached (no runs) is not a duplicate.
  expect(mergeParts([a, { ...b, runs: [...b.runs, { method: 'ft' as Method, runs: [] }] }], plan)).toHaveLength(8);
  expect(mergeParts([a], { ...plan, methods: ['ft', 'skd'] }).map((r) => r.method)).toEqual(['ft', 'skd']);
  expect(() => mergeParts([a, b, part('c', ['kd'])], plan)).toThrow(/kd is in both a and c/);
  expect(() => mergeParts([a], plan)).toThrow(/no part has the runs of sti/);
  expect(() => mergeParts([a, part('b', ['sti', 'gkd', 'kd-lora', 'sti-lora'], { steps: 50 })], plan)).toThrow(/b was made with 50 steps/);
  expect(() => mergeParts([a, part('b', ['sti', 'gkd', 'kd-lora', 'sti-lora'], { backend: 'cpu' })], plan)).toThrow(/made on cpu/);
  expect(() => mergeParts([a, part('b', ['sti', 'gkd', 'kd-lora', 'sti-lora'], { teacher: 'U' })], plan)).toThrow(/teacher U/);
  expect(() => mergeParts([a, { ...b, runs: [...b.runs.slice(1), runsOf('sti', 1)] }], plan)).toThrow(/1 runs of sti, not 2/);
});
