/**
 * The resources table as Markdown: per method the trainable parameters, the logical peak of one
 * training step and its parts, live device bytes (webgpu), ms per step and the deployed model's ms
 * per token; then `sti-lora`'s six ratios against `ft` and `lora` beside the paper's and, where
 * given, those of a toy-scale paper table. Pure functions: the CLI and the app both use them.
 */
import { MEMORY_ORDER, MEMORY_PARTS, type ResourceRecord } from '../protocol/resources';
import { PAPER, signed } from './paper-table';

export interface ResourceRatios {
  params: number;
  memory: number;
  /** Memory by distinct buffers (bufferPeakBytes), where both rows have it. */
  buffers?: number;
  inference: number;
}

/** Relative changes of `row` against `ref` (−0.99 = 99% fewer). */
export function resourceRatios(row: ResourceRecord, ref: ResourceRecord): ResourceRatios {
  const buffers = row.bufferPeakBytes !== undefined && ref.bufferPeakBytes !== undefined ? row.bufferPeakBytes / ref.bufferPeakBytes - 1 : undefined;
  return {
    params: row.trainableParams / ref.trainableParams - 1,
    memory: row.peakBytes / ref.peakBytes - 1,
    ...(buffers !== undefined ? { buffers } : {}),
    inference: row.msPerToken / ref.msPerToken - 1,
  };
}

/** `sti-lora` against `ft` and `lora`, where the rows are there. */
export function stiRatios(rows: readonly ResourceRecord[]): { vsFt: ResourceRatios; vsLora: ResourceRatios } | null {
  const get = (m: string) => rows.find((r) => r.method === m);
  const [sti, ft, lora] = [get('sti-lora'), get('ft'), get('lora')];
  return sti && ft && lora ? { vsFt: resourceRatios(sti, ft), vsLora: resourceRatios(sti, lora) } : null;
}

const MB = (b: number | undefined) => (b === undefined ? '—' : (b / 2 ** 20).toFixed(1));
const count = (n: number) => n.toLocaleString('en-US');

/** The table and the comparison as Markdown; `toy` names a toy-scale table's ratios to show beside (e.g. cycle-ext's). */
export function resourcesMarkdown(rows: readonly ResourceRecord[], toy?: { name: string; vsFt: ResourceRatios; vsLora: ResourceRatios }): string {
  const gpu = rows.some((r) => r.liveGpuBytes !== undefined);
  const buffers = rows.some((r) => r.bufferPeakBytes !== undefined);
  const parts = MEMORY_ORDER.map((p) => MEMORY_PARTS[p].label);
  const out = [
    `| method | trainable params | peak MiB |${buffers ? ' distinct buffers MiB |' : ''} ${parts.join(' | ')} |${gpu ? ' live GPU MiB |' : ''} ms/step | ms/token |`,
    `|---|---|---|${buffers ? '---|' : ''}${parts.map(() => '---|').join('')}${gpu ? '---|' : ''}---|---|`,
    ...rows.map(
      (r) =>
        `| \`${r.method}\` | ${count(r.trainableParams)} | ${MB(r.peakBytes)} |${buffers ? ` ${MB(r.bufferPeakBytes)} |` : ''} ${MEMORY_ORDER.map((p) => MB(r.breakdown[p])).join(' | ')} |${gpu ? ` ${MB(r.liveGpuBytes)} |` : ''} ${r.msPerStep.toFixed(0)} | ${r.msPerToken.toFixed(2)} |`,
    ),
  ];
  // sti-lora's ratios against whichever of ft and lora the table has.
  const get = (m: string) => rows.find((r) => r.method === m);
  const [sti, ft, lora] = [get('sti-lora'), get('ft'), get('lora')];
  if (sti && (ft || lora)) {
    const vsFt = ft ? resourceRatios(sti, ft) : null;
    const vsLora = lora ? resourceRatios(sti, lora) : null;
    const cell = (x: number | undefined) => (x === undefined ? '— (no row)' : signed(x));
    const toyCell = (x: number) => (toy ? ` ${signed(x)} |` : '');
    const missing = [ft ? null : '`ft`', lora ? null : '`lora`'].filter((m) => m !== null);
    out.push(
      '',
      `\`sti-lora\` (the paper's method) against full fine-tuning (\`ft\`) and LoRA (\`lora\`)${missing.length ? ` (this table has no ${missing.join(' row, no ')} row)` : ''}:`,
      '',
      `| ratio | paper | here |${toy ? ` ${toy.name} |` : ''}`,
      `|---|---|---|${toy ? '---|' : ''}`,
      ...(
        [
          ['trainable parameters vs full fine-tuning', PAPER.vsFt.params, vsFt?.params, toy?.vsFt.params],
          ['trainable parameters vs LoRA', PAPER.vsLora.params, vsLora?.params, toy?.vsLora.params],
          ['GPU memory vs full fine-tuning', PAPER.vsFt.memory, vsFt?.memory, toy?.vsFt.memory],
          ['GPU memory vs LoRA', PAPER.vsLora.memory, vsLora?.memory, toy?.vsLora.memory],
          ...(buffers
            ? ([
                ['GPU memory vs full fine-tuning, distinct buffers', PAPER.vsFt.memory, vsFt?.buffers, undefined],
                ['GPU memory vs LoRA, distinct buffers', PAPER.vsLora.memory, vsLora?.buffers, undefined],
              ] as const)
            : []),
          ['inference time vs full fine-tuning', PAPER.vsFt.inference, vsFt?.inference, toy?.vsFt.inference],
          ['inference time vs LoRA', PAPER.vsLora.inference, vsLora?.inference, toy?.vsLora.inference],
        ] as const
      ).map(([what, paper, here, t]) => `| ${what} | ${signed(paper)} | ${cell(here)} |${toy ? (t === undefined ? ' — |' : toyCell(t)) : ''}`),
    );
  }
  return out.join('\n');
}
