/**
 * The paper table's run sequence, host-independent: the eight methods with equal budgets (the
 * same steps, data order and seeds), one run after another. `npm run paper-table` and the app's
 * Paper table view both drive this, so a row means the same thing in both; `npm run ablation`
 * runs its rows the same way.
 */
import { METHODS, type DistillConfig, type Method } from '../config/knobs';
import { type PaperPlan, paperConfig } from '../config/paper-plan';
import type { FinalRecord } from '../protocol/records';
import type { Host } from './host';
import { runDistill } from './run';
import type { MethodRuns } from '../report/paper-table';

export interface GridHooks<K extends string> {
  /** Every step of the run of row `key` with seed index `k`: `done` of `of` steps. */
  onStep?(key: K, k: number, done: number, of: number): void;
  /** A run finished. */
  onRun?(key: K, k: number, final: FinalRecord): void;
  /** Checked before each run and after each step: true stops the table (it then throws PaperCancelled). */
  cancelled?(): boolean;
}

/** The paper table's hooks: its rows are the methods. */
export type PaperHooks = GridHooks<Method>;

export class PaperCancelled extends Error {
  constructor() {
    super('the paper table was stopped');
    this.name = 'PaperCancelled';
  }
}

/** A row of runs: its key and the config of its seed k. */
export interface GridRow<K extends string> {
  key: K;
  config(k: number): DistillConfig;
}

/**
 * Runs the rows one after another, each over seeds 0 … seeds − 1, after the runs already `done`
 * (a stopped table's finished runs, by row, which are kept and not run again); returns each row's
 * final records.
 */
export async function runGrid<K extends string>(
  rows: GridRow<K>[],
  seeds: number,
  host: Host,
  hooks: GridHooks<K> = {},
  done: Partial<Record<K, FinalRecord[]>> = {},
): Promise<{ key: K; runs: FinalRecord[] }[]> {
  const all: { key: K; runs: FinalRecord[] }[] = [];
  for (const row of rows) {
    const runs: FinalRecord[] = [...(done[row.key] ?? [])].slice(0, seeds);
    for (let k = runs.length; k < seeds; k++) {
      const cfg = row.config(k);
      if (hooks.cancelled?.()) throw new PaperCancelled();
      // Throwing from the step hook ends the run at once; runDistill frees its models on the way out.
      const r = await runDistill(cfg, host, {
        onStep: (_, d) => {
          if (hooks.cancelled?.()) throw new PaperCancelled();
          hooks.onStep?.(row.key, k, d, cfg.steps);
        },
      });
      runs.push(r.final);
      hooks.onRun?.(row.key, k, r.final);
    }
    all.push({ key: row.key, runs });
  }
  return all;
}

/** Runs the table row by row (each method over every seed, after those `done`); returns each method's final records. */
export async function runPaperTable(
  plan: PaperPlan,
  host: Host,
  hooks: PaperHooks = {},
  done: Partial<Record<Method, FinalRecord[]>> = {},
): Promise<MethodRuns[]> {
  const methods = METHODS.filter((m) => !plan.methods || plan.methods.includes(m));
  const rows = methods.map((m) => ({ key: m, config: (k: number) => paperConfig(plan, m, k) }));
  return (await runGrid(rows, plan.seeds, host, hooks, done)).map(({ key, runs }) => ({ method: key, runs }));
}
