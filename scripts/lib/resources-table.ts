/**
 * `npm run paper-table -- --resources`: the resources table (src/distill/resources.ts) written to
 * DIR/P-resources.md and .json after every method, resumable with --resume, beside the paper's
 * ratios and those of the committed toy-scale table (docs/results/cycle-ext.json) where it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { METHODS, type Method } from '../../src/config/knobs';
import { SUGGESTED_PAPER_PRESET } from '../../src/config/presets';
import { resolveConfig } from '../../src/config/resolve';
import type { Host } from '../../src/distill/host';
import { runResources } from '../../src/distill/resources';
import { RESOURCE_DEFAULTS, type ResourcePlan, type ResourceRecord } from '../../src/protocol/resources';
import { type MethodRuns, ratios, tableRows } from '../../src/report/paper-table';
import { type ResourceRatios, resourcesMarkdown } from '../../src/report/resources';
import { teacherRecord, writeFiles } from './table-files';

/** The toy-scale table whose resource ratios are shown beside (the paper-table of the suggested preset). */
const TOY_TABLE = join('docs', 'results', `${SUGGESTED_PAPER_PRESET}.json`);

function toyRatios(): { name: string; vsFt: ResourceRatios; vsLora: ResourceRatios } | undefined {
  if (!existsSync(TOY_TABLE)) return undefined;
  const rows = tableRows((JSON.parse(readFileSync(TOY_TABLE, 'utf8')) as { runs: MethodRuns[] }).runs);
  const get = (m: Method) => rows.find((r) => r.method === m);
  const [sti, ft, lora] = [get('sti-lora'), get('ft'), get('lora')];
  if (!sti || !ft || !lora) return undefined;
  const pick = (r: ReturnType<typeof ratios>) => ({ params: r.params, memory: r.memory, inference: r.inference });
  return { name: `toy scale (${SUGGESTED_PAPER_PRESET})`, vsFt: pick(ratios(sti, ft)), vsLora: pick(ratios(sti, lora)) };
}

export interface ResourceFlags {
  preset: string;
  backend: string;
  out: string;
  steps?: number;
  batchSize?: number;
  methods?: Method[];
  resume: boolean;
  teacher?: string;
  base?: string;
}

export async function resourcesTable(flags: ResourceFlags, host: Host): Promise<void> {
  const t0 = Date.now();
  const batchSize = flags.batchSize ?? resolveConfig({ preset: flags.preset }).batchSize;
  const plan: ResourcePlan = { preset: flags.preset, steps: flags.steps ?? RESOURCE_DEFAULTS.steps, batchSize, decodeTokens: RESOURCE_DEFAULTS.decodeTokens, decodeRuns: RESOURCE_DEFAULTS.decodeRuns };
  const teacher = teacherRecord(flags.preset, flags.teacher);
  const imported = `${flags.teacher ? ` --teacher ${flags.teacher}` : ''}${flags.base ? ` --base ${flags.base}` : ''}`;
  // The command that makes the rows a file holds: every method, or --methods naming those it has.
  const commandFor = (made: readonly Method[]) =>
    `npm run paper-table -- --preset ${flags.preset}${imported} --resources${flags.steps ? ` --steps ${flags.steps}` : ''}${flags.batchSize ? ` --batchSize ${flags.batchSize}` : ''}${made.length < METHODS.length ? ` --methods ${made.join(',')}` : ''} --backend ${flags.backend} --out ${flags.out}`;
  const file = join(flags.out, `${flags.preset}-resources.json`);
  let done: ResourceRecord[] = [];
  let before = 0;
  if (flags.resume) {
    if (!existsSync(file)) throw new Error(`--resume: ${file} does not exist (start the table without --resume; it writes that file after every method)`);
    const old = JSON.parse(readFileSync(file, 'utf8')) as { plan: ResourcePlan; backend: string; teacher: string; wallSeconds: number; rows: ResourceRecord[] };
    if (JSON.stringify(old.plan) !== JSON.stringify(plan) || old.backend !== flags.backend || old.teacher !== teacher) throw new Error(`--resume: ${file} was made with another plan, backend or teacher (${old.backend}, ${JSON.stringify(old.plan)}, ${old.teacher})`);
    done = old.rows;
    before = old.wallSeconds;
  }
  const toy = toyRatios();
  const write = (rows: ResourceRecord[]) => {
    const wall = before + Math.round((Date.now() - t0) / 1000);
    const made = METHODS.filter((m) => rows.some((r) => r.method === m));
    const partial = made.length < METHODS.length;
    const command = commandFor(made);
    const md = [
      `# Resources: preset \`${flags.preset}\``,
      '',
      `Command: \`${command}\``,
      '',
      `${partial ? `**Partial: ${made.length} of ${METHODS.length} methods** (\`--resume\` with \`--methods\` naming others adds them). ` : ''}Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; tfjs backend \`${flags.backend}\`; wall time ${wall} s. Teacher: ${teacher}.`,
      '',
      `Each method runs ${plan.steps} training steps of ${plan.batchSize} sequences (the first creates the optimiser's state), then one more step on the longest examples is profiled: **peak** is its logical peak (tf.profile), every live tensor included, the optimiser's update too (each new weight takes the place of its gradient, freed as the update goes; the moments are replaced a block of rows at a time). The parts are the sizes of what exists at float32 — teacher weights (KD methods only), the trained model's frozen weights (LoRA), trainable weights, their gradients, AdamW's two moments — and activations and temporaries are the rest of the measured peak. ms/step is the median of the steps run; ms/token is the median of ${plan.decodeRuns} timed runs of greedy KV-cached decoding of ${plan.decodeTokens} tokens by the model each method deploys (the student or the teacher-size model, LoRA merged). No quality is measured: these figures do not depend on what the weights learned.`,
      '',
      resourcesMarkdown(rows, toy),
      '',
    ].join('\n');
    writeFiles(flags.out, {
      [`${flags.preset}-resources.md`]: md,
      [`${flags.preset}-resources.json`]: JSON.stringify({ command, backend: flags.backend, teacher, plan, wallSeconds: wall, ...(partial ? { partial } : {}), rows }, null, 1) + '\n',
    });
    return md;
  };
  const rows = [...done];
  const all = await runResources(plan, host, {
    onStart: (m) => process.stderr.write(`${m}: ${plan.steps} steps, then the peak and the latency…\n`),
    onRow: (r) => {
      rows.push(r);
      process.stderr.write(`${r.method}: peak ${(r.peakBytes / 2 ** 20).toFixed(0)} MiB, ${r.msPerToken.toFixed(1)} ms/token (${before + Math.round((Date.now() - t0) / 1000)} s)\n`);
      write(rows);
    },
  }, flags.methods, done);
  console.log(write(all));
}
