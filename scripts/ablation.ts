/**
 * npm run ablation -- --preset P --ablation NAME [--rows a,b] [--steps N] [--seeds K] [--backend B] --out DIR [--resume]
 *
 * Runs an ablation's rows (src/config/ablations.ts) with equal budgets and the paper table's seeds
 * and writes DIR/P-NAME.md and .json, and the accuracy-by-position chart (CSV, SVG): per row
 * ROUGE-L, perplexity, exact match (by test length too) and the teacher's share of rollout tokens,
 * mean ± std over the seeds. The files are written again after every finished run, marked partial
 * until the last; --resume continues a stopped ablation from its JSON, running only what is missing.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ABLATIONS, type AblationName, type AblationRow, ablationConfig } from '../src/config/ablations';
import { getPreset } from '../src/config/presets';
import { resolveConfig } from '../src/config/resolve';
import { runGrid } from '../src/distill/paper';
import { initNodeBackend, type NodeBackend } from '../src/engine/node';
import { type KernelSet, setKernels } from '../src/model/fused';
import type { FinalRecord } from '../src/protocol/records';
import { ablationMarkdown } from '../src/report/ablation';
import { byLengthMarkdown, positionCsv, positionSvg, tableRows } from '../src/report/paper-table';
import { type CliOptions, parseCli, runScript } from './lib/cli';
import { ABLATION_FLAGS } from './lib/flags';
import { type Resumed, evaluatePresetTeacher, readResume, teacherRecord, writeFiles } from './lib/table-files';
import { runHost } from './lib/host';

const CLI: CliOptions = { usage: 'npm run ablation -- --preset P --ablation NAME [--rows a,b] [--steps N] [--seeds K] [--backend cpu|wasm|webgpu] --out DIR [--resume]' };

async function main(): Promise<void> {
  const { flags } = parseCli(process.argv.slice(2), ABLATION_FLAGS, CLI);
  const { preset, seeds, backend, out } = flags;
  const ablation = ABLATIONS[flags.ablation as AblationName];
  const wanted = flags.rows?.split(',').map((r) => r.trim()).filter(Boolean);
  for (const id of wanted ?? []) if (!ablation.rows.some((r) => r.id === id)) throw new Error(`--rows: ${JSON.stringify(id)} is not a row of ${flags.ablation}; its rows: ${ablation.rows.map((r) => r.id).join(', ')}`);
  const rows: AblationRow[] = ablation.rows.filter((r) => !wanted || wanted.includes(r.id));
  await initNodeBackend(backend as NodeBackend);
  setKernels(flags.kernels as KernelSet);
  const steps = flags.steps ?? resolveConfig({ preset }).steps;
  const plan = { preset, steps, seeds };
  const host = runHost({});
  const base = `${preset}-${flags.ablation}`;
  const teacher = teacherRecord(preset);
  const command = `npm run ablation -- --preset ${preset} --ablation ${flags.ablation}${wanted ? ` --rows '${wanted.join(',')}'` : ''} --steps ${steps} --seeds ${seeds} --backend ${backend} --out ${out}`;
  const { done, wallSeconds: before }: Resumed = flags.resume ? readResume(join(out, `${base}.json`), { steps, seeds, backend, teacher }) : { done: {}, wallSeconds: 0 };
  const isTask = getPreset(preset).data.kind === 'task';
  const teacherEval = await evaluatePresetTeacher(preset, host);
  const t0 = Date.now();
  const results = new Map<string, FinalRecord[]>(Object.entries(done));
  const write = (partial: boolean) => {
    // Every row with finished runs, in the ablation's order: a resumed file keeps the rows it had.
    const runs = ablation.rows.filter((r) => (results.get(r.id)?.length ?? 0) > 0).map((r) => ({ method: r.method, label: r.id, runs: results.get(r.id)! }));
    const table = tableRows(runs);
    const made = runs.reduce((n, r) => n + r.runs.length, 0);
    const beyond = table.some((r) => r.positions.beyond.length > 0);
    const md = [
      `# ${ablation.title}: preset \`${preset}\``,
      '',
      ablation.about,
      '',
      `Command: \`${command}\``,
      '',
      `${partial ? `**Partial: ${made} of ${rows.length * seeds} runs so far** (\`--resume\` continues it). ` : ''}Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; tfjs backend \`${backend}\`; ${steps} steps per run, seeds (data, init, sampling) = (1 + k, 101 + k, 1001 + k) for k < ${seeds}, the paper table's; every other knob at the method's and preset's defaults. Teacher: ${teacher}; on the same test set ROUGE-L ${teacherEval.rougeL.toFixed(3)}${isTask ? `, exact match ${teacherEval.exactMatch.toFixed(3)}` : ''}.`,
      '',
      ablationMarkdown(ablation, table, { exactMatch: isTask }),
      '',
      ...(isTask ? ['Exact match by test length (mean ± std over the seeds):', '', byLengthMarkdown(table, teacherEval, 'row'), ''] : []),
      ...(isTask ? [`Accuracy by output position over all test lengths (mean, band ± one std; the teacher dashed): ![](${base}-positions-all.svg) ([CSV](${base}-positions-all.csv))`, ''] : []),
      ...(beyond ? [`Accuracy by output position over the test lengths beyond training: ![](${base}-positions.svg) ([CSV](${base}-positions.csv))`, ''] : []),
    ].join('\n');
    const pos = (which: 'all' | 'beyond') => ({ which, teacher: teacherEval });
    const chart = (which: 'all' | 'beyond', stem: string, what: string) => ({ [`${stem}.csv`]: positionCsv(table, pos(which)), [`${stem}.svg`]: positionSvg(table, `${preset}: accuracy by output position, ${what}`, pos(which)) });
    writeFiles(out, {
      [`${base}.md`]: md,
      [`${base}.json`]: JSON.stringify({ command, backend, steps, seeds, teacher, partial, wallSeconds: before + Math.round((Date.now() - t0) / 1000), teacherEval, rows: table, runs }, null, 1) + '\n',
      ...(isTask ? chart('all', `${base}-positions-all`, 'all test lengths') : {}),
      ...(beyond ? chart('beyond', `${base}-positions`, 'test lengths beyond training') : {}),
    });
    return md;
  };
  await runGrid(
    rows.map((r) => ({ key: r.id, config: (k: number) => ablationConfig(plan, r, k) })),
    seeds,
    host,
    {
      onRun: (id, k, final) => {
        results.set(id, [...(results.get(id) ?? []), final]);
        const share = final.teacherTokenShare === undefined ? '' : `, teacher tokens ${(100 * final.teacherTokenShare).toFixed(1)}%`;
        process.stderr.write(`${id} seed ${k + 1}/${seeds}: ROUGE-L ${final.rougeL.toFixed(4)}, exact match ${final.exactMatch.toFixed(3)}${share} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
        write(true);
      },
    },
    done,
  );
  console.log(write(false));
}

runScript(main, CLI);
