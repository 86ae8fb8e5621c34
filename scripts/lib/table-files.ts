/**
 * What the table scripts (paper-table, ablation) share: which teacher a table was made with, the
 * teacher scored on the preset's test set, writing a table's files, and reading a stopped table's
 * finished runs back to resume it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getPreset } from '../../src/config/presets';
import { evaluateModel } from '../../src/distill/evaluate';
import type { Host } from '../../src/distill/host';
import { disposeModel } from '../../src/distill/models';
import { teacherKey } from '../../src/distill/recipes';
import type { EvalRecord, FinalRecord } from '../../src/protocol/records';
import { MODELS_DIR } from './host';

/** The teacher scored on the preset's test set, as the rows are (its curve is the one the students are measured against). */
export async function evaluatePresetTeacher(name: string, host: Host): Promise<EvalRecord> {
  const preset = getPreset(name);
  const data = await host.data(preset);
  const base = await host.base(preset, data);
  try {
    const teacher = await host.teacher(preset, base.model, data);
    try {
      return await evaluateModel(teacher.model, data, 0);
    } finally {
      disposeModel(teacher.model);
    }
  } finally {
    disposeModel(base.model);
  }
}

/** Which teacher the distilling rows learn from: an imported folder, the shipped file (by sha256) or the recipe it is trained by. */
export function teacherRecord(preset: string, imported?: string): string {
  if (imported) {
    const file = join(imported, 'model.safetensors');
    return `Hugging Face folder ${imported} (model.safetensors sha256 ${existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'missing'})`;
  }
  const file = join(MODELS_DIR, `${preset}-teacher.safetensors`);
  if (existsSync(file)) return `${file} (sha256 ${createHash('sha256').update(readFileSync(file)).digest('hex')})`;
  return `trained from its recipe (${teacherKey(getPreset(preset))})`;
}

/** Writes each file (name → text) into `dir`, making it where needed. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** What a table's JSON says about how it was made, and its runs by row (label, else method). */
interface TableFile {
  wallSeconds?: number;
  steps: number;
  seeds: number;
  backend: string;
  teacher?: string;
  runs: { method: string; label?: string; runs: FinalRecord[] }[];
}

/** What a resumed table starts from: its finished runs by row, and the wall time spent on them. */
export interface Resumed {
  done: Record<string, FinalRecord[]>;
  wallSeconds: number;
}

/**
 * The finished runs of a stopped table, by row, to run only what is missing: refused where the
 * file was made with another budget, backend or teacher (its runs would not be this table's).
 */
export function readResume(file: string, want: { steps: number; seeds: number; backend: string; teacher: string }): Resumed {
  if (!existsSync(file)) throw new Error(`--resume: ${file} does not exist (start the table without --resume; it writes that file after every run)`);
  const t = JSON.parse(readFileSync(file, 'utf8')) as TableFile;
  if (t.steps !== want.steps || t.seeds !== want.seeds) throw new Error(`--resume: ${file} was made with ${t.steps} steps and ${t.seeds} seeds; pass --steps ${t.steps} --seeds ${t.seeds}`);
  if (t.backend !== want.backend) throw new Error(`--resume: ${file} was made on ${t.backend}; pass --backend ${t.backend} (quality figures reproduce exactly only on one backend)`);
  if (t.teacher !== undefined && t.teacher !== want.teacher) throw new Error(`--resume: ${file} was made with the teacher ${t.teacher}; the teacher now is ${want.teacher}`);
  const done = Object.fromEntries(t.runs.map((r) => [r.label ?? r.method, r.runs]));
  const n = Object.values(done).reduce((a, r) => a + r.length, 0);
  process.stderr.write(`--resume: ${n} finished runs read from ${file}\n`);
  return { done, wallSeconds: t.wallSeconds ?? 0 };
}
