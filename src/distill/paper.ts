/**
 * The paper table's run sequence, host-independent: the eight methods with equal budgets (the
 * same steps, data order and seeds), one run after another. `npm run paper-table` and the app's
 * Paper table view both drive this, so a row means the same thing in both.
 */
import { METHODS, type Method } from '../config/knobs';
import { type PaperPlan, paperConfig } from '../config/paper-plan';
import type { FinalRecord } from '../protocol/records';
import type { Host } from './host';
import { runDistill } from './run';
import type { MethodRuns } from '../report/paper-table';

export interface PaperHooks {
  /** Every step of the run of `method` with seed index `k`: `done` of `of` steps. */
  onStep?(method: Method, k: number, done: number, of: number): void;
  /** A run finished. */
  onRun?(method: Method, k: number, final: FinalRecord): void;
  /** Checked before each run and after each step: true stops the table (it then throws PaperCancelled). */
  cancelled?(): boolean;
}

export class PaperCancelled extends Error {
  constructor() {
    super('the paper table was stopped');
    this.name = 'PaperCancelled';
  }
}

/** Runs the table row by row (each method over every seed); returns each method's final records. */
export async function runPaperTable(plan: PaperPlan, host: Host, hooks: PaperHooks = {}): Promise<MethodRuns[]> {
  const all: MethodRuns[] = [];
  for (const method of METHODS.filter((m) => !plan.methods || plan.methods.includes(m))) {
    const runs: FinalRecord[] = [];
    for (let k = 0; k < plan.seeds; k++) {
      const cfg = paperConfig(plan, method, k);
      if (hooks.cancelled?.()) throw new PaperCancelled();
      // Throwing from the step hook ends the run at once; runDistill frees its models on the way out.
      const r = await runDistill(cfg, host, {
        onStep: (_, done) => {
          if (hooks.cancelled?.()) throw new PaperCancelled();
          hooks.onStep?.(method, k, done, cfg.steps);
        },
      });
      runs.push(r.final);
      hooks.onRun?.(method, k, r.final);
    }
    all.push({ method, runs });
  }
  return all;
}
