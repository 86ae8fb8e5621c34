/**
 * The README's results cannot drift from the committed tables: every figure of its comparison with
 * the paper is read back from docs/results/<preset>.md (written from the .json by paper-table), and
 * so is the range of inference times its prose quotes.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

const README = readFileSync('README.md', 'utf8');
const percents = (cell: string) => cell.match(/[+−-]?\d+(?:\.\d+)?%/g) ?? [];
const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());

/** The rows of the first Markdown table after a heading, as cells. */
function tableAfter(text: string, heading: string): string[][] {
  const from = text.indexOf(heading);
  if (from < 0) throw new Error(`no "${heading}"`);
  const lines = text.slice(from).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(start)) {
    if (!l.startsWith('|')) break;
    if (!/^\|[-| ]+\|$/.test(l)) rows.push(cells(l));
  }
  return rows;
}

/** A committed table's ratios beside the paper's: label → [paper, ours]. */
function committedRatios(preset: string): Map<string, [string, string]> {
  const rows = tableAfter(readFileSync(`docs/results/${preset}.md`, 'utf8'), '| ratio | paper | ours |');
  return new Map(rows.slice(1).map((r) => [r[0]!, [r[1]!, r[2]!]]));
}

/** Which committed rows each README row shows, and how many leading figures of each. */
const SOURCES: Record<string, { rows: string[]; leading: number }> = {
  'quality vs full fine-tuning': { rows: ['quality vs full fine-tuning (ROUGE-L, perplexity)'], leading: 1 },
  'quality vs LoRA': { rows: ['quality vs LoRA'], leading: 1 },
  'trainable parameters vs full fine-tuning': { rows: ['trainable parameters vs full fine-tuning'], leading: 1 },
  'trainable parameters vs LoRA': { rows: ['trainable parameters vs LoRA'], leading: 1 },
  'GPU memory vs full fine-tuning / vs LoRA': { rows: ['GPU memory vs full fine-tuning', 'GPU memory vs LoRA'], leading: 1 },
  'inference time vs full fine-tuning / vs LoRA': { rows: ['inference time vs full fine-tuning / LoRA'], leading: 2 },
};

const comparison = tableAfter(README, "### The paper's comparison");
const presets = comparison[0]!.slice(2).map((h) => /`([^`]+)`/.exec(h)![1]!);

test("the README's comparison has every claim and a column per committed table", () => {
  expect(comparison.slice(1).map((r) => r[0])).toEqual(Object.keys(SOURCES));
  expect(presets).toEqual(['cycle-ext', 'tiny', 'reverse-long', 'moby-dick']);
});

test.each(presets.map((p, i) => [p, i] as const))("the README's %s column is the committed table's", (preset, i) => {
  const committed = committedRatios(preset);
  let compared = 0;
  for (const row of comparison.slice(1)) {
    const source = SOURCES[row[0]!]!;
    const want = source.rows.flatMap((label) => {
      const r = committed.get(label);
      if (!r) throw new Error(`docs/results/${preset}.md has no row "${label}"`);
      return percents(r[1]).slice(0, source.leading);
    });
    const paper = source.rows.map((label) => percents(committed.get(label)![0])[0]);
    expect(percents(row[1]!), `${row[0]}: the paper's figure`).toEqual([...new Set(paper)]);
    const shown = percents(row[2 + i]!);
    // A cell may hold no figure only where it says why (timings not comparable between rows).
    if (shown.length === 0) {
      expect(row[2 + i], `${preset}, ${row[0]}`).toMatch(/timed in different processes/);
      continue;
    }
    expect(shown.slice(0, want.length), `${preset}, ${row[0]}`).toEqual(want);
    compared++;
  }
  expect(compared).toBeGreaterThanOrEqual(5);
});

test("the README's range of inference times is the comparison's", () => {
  const m = /decode faster than the teacher-size ones \(([+−-]?\d+%) to\s+([+−-]?\d+%)/.exec(README);
  expect(m, 'the Inference bullet').not.toBeNull();
  const row = comparison.find((r) => r[0]!.startsWith('inference time'))!;
  const vsFt = presets.map((_, i) => percents(row[2 + i]!)[0]).filter((x): x is string => x !== undefined);
  const value = (x: string) => Number(x.replace('−', '-').replace('%', ''));
  const sorted = vsFt.map(value).sort((a, b) => b - a);
  expect([value(m![1]!), value(m![2]!)]).toEqual([sorted[0], sorted.at(-1)]);
});

test("the README's performance figures are the committed benchmark's", () => {
  const bench = JSON.parse(readFileSync('docs/bench/moby-dick-swiftshader.json', 'utf8')) as { rows: { method: string; kernels: string; dispatchesPerStep: number; msPerStepMedian: number }[] };
  const row = (kernels: string) => bench.rows.find((r) => r.method === 'sti-lora' && r.kernels === kernels)!;
  const [fused, reference] = [row('fused'), row('reference')];
  const n = (x: number) => x.toLocaleString('en-US');
  const flat = README.replace(/\s+/g, ' '); // line breaks may move
  expect(flat).toContain(`step dispatches ${n(fused.dispatchesPerStep)} GPU programs instead of ${n(reference.dispatchesPerStep)}`);
  expect(flat).toContain(`the fused step is ${(reference.msPerStepMedian / fused.msPerStepMedian).toFixed(2)}× faster`);
  // The attention row: the README quotes docs/performance.md's table, made by one bench run.
  const attention = tableAfter(readFileSync('docs/performance.md', 'utf8'), '| attention fwd + bwd |').find((r) => r[0]!.includes('T 1,024'))!;
  expect(flat).toContain(`takes ${attention[1]} ms fused against ${attention[2]} ms (${attention[3]})`);
});

test("the README's GPT-2-scale figures are the committed resources table's", () => {
  const table = readFileSync('docs/results/resources-gpt2-small/bring-gpt2-resources.md', 'utf8');
  const here = new Map(tableAfter(table, '| ratio | paper | here |').slice(1).map((r) => [r[0]!, r[2]!]));
  const bullet = README.slice(README.indexOf("- **At GPT-2's scale**")).split('\n- ')[0]!.replace(/\s+/g, ' ');
  const magnitude = (label: string) => here.get(label)!.replace(/^[−+-]/, '');
  const less = (label: string) => (here.get(label)!.startsWith('−') ? 'less' : 'more');
  expect(table).not.toContain('Partial'); // every method's row
  expect(bullet).toContain(`trains ${magnitude('trainable parameters vs LoRA')} fewer parameters than \`lora\``);
  expect(bullet).toContain(`decodes ${magnitude('inference time vs full fine-tuning')} faster than \`ft\`'s model`);
  expect(bullet).toContain(`and ${magnitude('inference time vs LoRA')} faster than \`lora\`'s`);
  const vsFt = 'GPU memory vs full fine-tuning, distinct buffers';
  const vsLora = 'GPU memory vs LoRA, distinct buffers';
  expect(bullet).toContain(`its step holds ${magnitude(vsFt)} ${less(vsFt)} than full fine-tuning's`);
  expect(bullet).toContain(`but ${magnitude(vsLora)} ${less(vsLora)} than \`lora\`'s`);
});
