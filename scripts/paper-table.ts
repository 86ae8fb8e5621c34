/**
 * npm run paper-table -- --preset P [--steps N] [--seeds K] [--backend cpu|wasm|webgpu] [--kernels fused|reference] --out DIR
 * npm run paper-table -- --preset P ... [--methods ft,sti-lora] --check DIR/P.json
 *
 * Runs the eight methods with equal budgets (the same steps, data order and seeds) and writes
 * DIR/P.md and DIR/P.json — per method trainable parameters, peak step memory, ms/token, ROUGE-L,
 * perplexity and exact match (mean ± std over the seeds), each relative to ft and to lora, beside
 * the paper's ratios — and DIR/P-positions.csv / .svg, accuracy by output position beyond the
 * training lengths. Quality figures reproduce exactly on the same backend; timings never do.
 *
 * The files are written again after every finished run, marked partial until the last, so a stop
 * loses at most the run under way; --resume continues a stopped table from DIR/P.json, running only
 * what is missing.
 *
 * With --merge A.json,B.json (and --out) it runs nothing: it builds the table from the runs of
 * parts made with disjoint --methods and the same budget — side by side on the cores of one
 * machine, or on several — refusing parts that disagree on steps, seeds, backend or teacher.
 *
 * With --resources it measures no quality: per method a few steps (--steps, default 2) at the
 * preset's batch (or --batchSize), the logical peak of one step broken down by part, live device
 * bytes on webgpu, and the deployed model's ms/token — DIR/P-resources.md and .json, written after
 * every method, --resume continuing. Meant for a GPT-2-shaped --teacher (make-tiny-gpt2 --shape).
 *
 * With --check FILE it writes nothing: it re-runs the rows (all, or --methods) with FILE's
 * backend and steps (unless --backend or --steps say otherwise) and compares every run's ROUGE-L,
 * perplexity and exact match with FILE's, printing PASSED or FAILED, the largest difference and,
 * when it failed, the likely cause (exit 1 above --tolerance, default 0: identical).
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { KnobError, METHODS, type Method } from '../src/config/knobs';
import type { PaperPlan } from '../src/config/paper-plan';
import { getPreset } from '../src/config/presets';
import { resolveConfig } from '../src/config/resolve';
import type { Host } from '../src/distill/host';
import { runPaperTable } from '../src/distill/paper';
import { NODE_BACKENDS, type NodeBackend, describeNodeBackend, initNodeBackend } from '../src/engine/node';
import { type KernelSet, setKernels } from '../src/model/fused';
import { type MethodRuns, type TablePart, byLengthMarkdown, mergeParts, positionCsv, positionSvg, tableMarkdown, tableRows } from '../src/report/paper-table';
import type { FinalRecord } from '../src/protocol/records';
import { type CliOptions, parseCli, runScript } from './lib/cli';
import { PAPER_TABLE_FLAGS } from './lib/flags';
import { runHost } from './lib/host';
import { resourcesTable } from './lib/resources-table';
import { type Resumed, evaluatePresetTeacher, readResume, teacherRecord, writeFiles } from './lib/table-files';

const CLI: CliOptions = { usage: 'npm run paper-table -- --preset P [--teacher HF_DIR [--base HF_DIR]] [--steps N] [--seeds K] [--methods a,b] [--backend cpu|wasm|webgpu] [--kernels fused|reference] (--out DIR [--resume | --merge A.json,B.json | --resources [--batchSize B]] | --check DIR/P.json)' };

async function main(): Promise<void> {
  const { flags, given } = parseCli(process.argv.slice(2), PAPER_TABLE_FLAGS, CLI);
  const { preset, seeds } = flags;
  const methods = flags.methods as Method[] | undefined;
  const check = flags.check ?? null;
  const ref = check ? readReference(check) : null;
  // A check follows the file's backend and steps unless told otherwise: quality reproduces exactly only on the same ones.
  const backend = ref && !given('backend') ? ref.backend : flags.backend;
  const steps = ref && !given('steps') ? ref.steps : flags.steps;
  if (ref && !given('backend')) console.log(`backend ${backend}, as ${check} was made (--backend to choose another)`);
  if (!check && flags.out === undefined) throw new Error('say where the table goes (--out DIR), or what to check it against (--check DIR/P.json)');
  if (check && flags.merge !== undefined) throw new Error('--merge builds a table from files and --check re-runs one: give one of them');
  if (flags.resume && (check || flags.merge !== undefined)) throw new Error('--resume continues a table being made with --out: not with --check or --merge');
  if (flags.batchSize !== undefined && !flags.resources) throw new Error('--batchSize is for --resources; a quality table runs every method at the preset\'s batch');
  if (flags.resources && (check || flags.merge !== undefined)) throw new Error('--resources writes a resources table with --out (and --resume): not with --check or --merge');
  const out = flags.out ?? '';
  await initNodeBackend(backend as NodeBackend);
  console.log(`running on ${describeNodeBackend()}`);
  setKernels(flags.kernels as KernelSet);
  const t0 = Date.now();
  const plan: PaperPlan = { preset, ...(steps ? { steps } : {}), seeds, ...(methods ? { methods } : {}) };
  const host = runHost(flags);
  if (flags.resources) return resourcesTable({ preset, backend, out, steps, batchSize: flags.batchSize, methods, resume: flags.resume, teacher: flags.teacher, base: flags.base }, host);
  if (check) return checkAgainst(check, ref!, plan, backend, flags.tolerance, host, flags.teacher);
  const cfg = resolveConfig({ preset, ...(steps ? { steps } : {}) });
  const teacher = teacherRecord(preset, flags.teacher);
  const imported = `${flags.teacher ? ` --teacher ${flags.teacher}` : ''}${flags.base ? ` --base ${flags.base}` : ''}`;
  const runCommand = `npm run paper-table -- --preset ${preset}${imported}${steps ? ` --steps ${steps}` : ''} --seeds ${seeds}${methods ? ` --methods ${methods.join(',')}` : ''} --backend ${backend}`;
  const command = `${runCommand} --out ${out}`;
  const isTask = getPreset(preset).data.kind === 'task';
  const teacherEval = await evaluatePresetTeacher(preset, host);
  /** Writes the table's files from the runs so far; `timing` says how it was made. */
  const write = (all: MethodRuns[], timing: string, wall: number, extra: Record<string, unknown> = {}, partial = false) => {
    const rows = tableRows(all);
    const hasPositions = rows.some((r) => r.positions.beyond.length > 0);
    const pos = (which: 'all' | 'beyond') => ({ which, teacher: teacherEval });
    const made = all.reduce((n, r) => n + r.runs.length, 0);
    const planned = (methods?.length ?? METHODS.length) * seeds;
    const md = [
      `# Paper table: preset \`${preset}\``,
      '',
      `Command: \`${command}\``,
      '',
      `${partial ? `**Partial: ${made} of ${planned} runs so far** (the same command with \`--resume\` continues it). ` : ''}Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; tfjs backend \`${backend}\`; ${timing}. ${cfg.steps} steps per run, seeds (data, init, sampling) = (1 + k, 101 + k, 1001 + k) for k < ${seeds}; every other knob at the method's and preset's defaults. Quality figures reproduce exactly on the same backend (check: the same command with \`--check ${out}/${preset}.json\` instead of \`--out\`, optionally \`--methods\` for a subset); timings (ms/token) do not. Peak memory is the logical peak of one training step (tf.profile), teacher and optimiser state included. Teacher tokens: the share of rollout tokens the teacher produced over a run (methods with rollouts).`,
      '',
      `Teacher: ${teacher}; on the same test set: ROUGE-L ${teacherEval.rougeL.toFixed(3)}, perplexity ${teacherEval.perplexity.toFixed(3)}${isTask ? `, exact match ${teacherEval.exactMatch.toFixed(3)}` : ''}.`,
      '',
      tableMarkdown(rows, 'MB', { exactMatch: isTask }),
      '',
      ...(isTask ? ['Exact match by test length (mean ± std over the seeds):', '', byLengthMarkdown(rows, teacherEval), ''] : []),
      ...(isTask ? [`Accuracy by output position over all test lengths (mean, band ± one std over the seeds; the teacher dashed): [${preset}-positions-all.csv](${preset}-positions-all.csv), ![](${preset}-positions-all.svg)`, ''] : []),
      hasPositions
        ? `Accuracy by output position beyond the training lengths: [${preset}-positions.csv](${preset}-positions.csv), ![](${preset}-positions.svg)`
        : 'This preset has no test lengths beyond its training lengths, so there is no accuracy-by-position chart beyond them.',
      '',
    ].join('\n');
    writeFiles(out, {
      [`${preset}.md`]: md,
      [`${preset}.json`]: JSON.stringify({ command, backend, wallSeconds: wall, seeds, steps: cfg.steps, teacher, teacherEval, ...(partial ? { partial } : {}), ...extra, rows, runs: all }, null, 1) + '\n',
      ...(isTask ? { [`${preset}-positions-all.csv`]: positionCsv(rows, pos('all')), [`${preset}-positions-all.svg`]: positionSvg(rows, `${preset}: accuracy by output position, all test lengths`, pos('all')) } : {}),
      ...(hasPositions ? { [`${preset}-positions.csv`]: positionCsv(rows, pos('beyond')), [`${preset}-positions.svg`]: positionSvg(rows, `${preset}: accuracy by output position beyond the training lengths`, pos('beyond')) } : {}),
    });
    return md;
  };
  if (flags.merge !== undefined) {
    const files = flags.merge.split(',').map((f) => f.trim()).filter(Boolean);
    const parts = files.map((f) => ({ name: f, ...(JSON.parse(readFileSync(f, 'utf8')) as Omit<TablePart, 'name'> & { command: string; wallSeconds: number }) }));
    const all = mergeParts(parts, { steps: cfg.steps, seeds, backend, teacher, ...(methods ? { methods } : {}) });
    const madeOf = parts.map((p) => ({ file: p.name, command: p.command, wallSeconds: p.wallSeconds }));
    const timing = `made in ${parts.length} parts (side by side, or at different times) and merged with \`${runCommand} --merge ${files.join(',')} --out ${out}\` (the quality figures are those one process makes; ms/token compare only between rows of one part); the parts: ${parts.map((p) => `\`${p.command}\` (${p.wallSeconds} s)`).join('; ')}`;
    console.log(write(all, timing, Math.max(...parts.map((p) => p.wallSeconds)), { parts: madeOf }));
    return;
  }
  const { done, wallSeconds: before }: Resumed = flags.resume ? readResume(join(out, `${preset}.json`), { steps: cfg.steps, seeds, backend, teacher }) : { done: {}, wallSeconds: 0 };
  const results = new Map<Method, FinalRecord[]>(Object.entries(done) as [Method, FinalRecord[]][]);
  const resumed = Object.values(done).some((r) => r.length > 0);
  const so = () => METHODS.filter((m) => (results.get(m)?.length ?? 0) > 0).map((m) => ({ method: m, runs: results.get(m)! }));
  const wall = () => before + Math.round((Date.now() - t0) / 1000);
  const timing = () => `wall time ${wall()} s${resumed ? ' (over the processes that made it, with --resume)' : ''}`;
  await runPaperTable(plan, host, {
    onRun: (method, k, final) => {
      results.set(method, [...(results.get(method) ?? []), final]);
      process.stderr.write(`${method} seed ${k + 1}/${seeds}: ROUGE-L ${final.rougeL.toFixed(4)}, perplexity ${final.perplexity.toFixed(3)} (${wall()} s)\n`);
      write(so(), timing(), wall(), {}, true);
    },
  }, done as Partial<Record<Method, FinalRecord[]>>);
  console.log(write(so(), timing(), wall()));
}

/** What a check reads of a committed result file. */
interface Reference {
  steps: number;
  seeds: number;
  backend: NodeBackend;
  teacher?: string;
  runs: MethodRuns[];
}

function readReference(file: string): Reference {
  const ref = JSON.parse(readFileSync(file, 'utf8')) as Partial<Reference>;
  if (typeof ref.steps !== 'number' || typeof ref.seeds !== 'number' || !Array.isArray(ref.runs) || !NODE_BACKENDS.includes(ref.backend as NodeBackend)) {
    throw new KnobError(`--check: ${file} is not a table made by npm run paper-table (it needs steps, seeds, backend and runs)`);
  }
  return ref as Reference;
}

/** Re-runs the plan's rows and compares their quality figures with a committed result file. */
async function checkAgainst(file: string, ref: Reference, plan: PaperPlan, backend: string, tolerance: number, host: Host, imported?: string): Promise<void> {
  const teacher = teacherRecord(plan.preset, imported);
  if (ref.teacher && ref.teacher !== teacher) throw new Error(`${file} was made with the teacher ${ref.teacher}; the teacher now is ${teacher}: make the table again with --out`);
  const steps = resolveConfig({ preset: plan.preset, ...(plan.steps ? { steps: plan.steps } : {}) }).steps;
  if (ref.steps !== steps || plan.seeds > ref.seeds) throw new KnobError(`--check: ${file} was made with ${ref.steps} steps and ${ref.seeds} seeds; pass --steps ${ref.steps} (or leave it out) and at most --seeds ${ref.seeds}`);
  let worst = 0;
  const t0 = Date.now();
  await runPaperTable(plan, host, {
    onRun: (method, k, final) => {
      const want = ref.runs.find((r) => r.method === method)?.runs[k];
      if (!want) throw new Error(`${file} has no run of ${method} with seed ${k + 1}`);
      const diffs = (['rougeL', 'perplexity', 'exactMatch'] as const).map((f) => Math.abs(final[f] - want[f]));
      worst = Math.max(worst, ...diffs);
      console.log(`${method} seed ${k + 1}: ROUGE-L ${final.rougeL.toFixed(6)} (recorded ${want.rougeL.toFixed(6)}), perplexity ${final.perplexity.toFixed(6)} (${want.perplexity.toFixed(6)}), exact match ${final.exactMatch.toFixed(4)} (${want.exactMatch.toFixed(4)}) — ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    },
  });
  const verdict = worst <= tolerance ? 'PASSED' : 'FAILED';
  console.log(`${verdict}: largest difference ${worst.toExponential(2)} on ${backend} against ${file} (made on ${ref.backend}); tolerance ${tolerance}`);
  if (worst <= tolerance) return;
  const cause =
    backend !== ref.backend
      ? `the backend: this ran on ${backend}, the file was made on ${ref.backend}, and backends round differently (leave out --backend to use the file's, or pass --tolerance)`
      : 'the code: on the same backend, steps and seeds a run reproduces exactly, so something that changes training or evaluation changed since the file was made';
  console.log(`likely cause: ${cause}`);
  process.exit(1);
}

runScript(main, CLI);
