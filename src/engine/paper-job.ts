/**
 * The paper table and the resources table as background jobs of the engine worker: each runs its
 * host-independent sequence (distill/paper.ts, distill/resources.ts) and streams its progress
 * (throttled) and each finished row. Stopping takes effect after the step under way; nothing of
 * it is kept but the rows the page already has.
 */
import type { PaperPlan } from '../config/paper-plan';
import type { Host } from '../distill/host';
import { PaperCancelled, runPaperTable } from '../distill/paper';
import { ResourcesCancelled, runResources } from '../distill/resources';
import type { PaperEvent } from '../protocol/messages';
import type { PaperStatus } from '../protocol/records';
import type { ResourcePlan } from '../protocol/resources';

const PROGRESS_MS = 250;

/** A job the worker runs in the background until it ends or is stopped. */
export class TableJob {
  private stopRequested = false;
  readonly done: Promise<void>;

  /** `work` checks `cancelled` between steps and throws one of the Cancelled errors when it is. */
  constructor(work: (cancelled: () => boolean) => Promise<void>, status: (s: PaperStatus, message?: string) => void) {
    this.done = (async () => {
      status('running');
      try {
        await work(() => this.stopRequested);
        status('done');
      } catch (e) {
        if (e instanceof PaperCancelled || e instanceof ResourcesCancelled) status('stopped');
        else status('failed', e instanceof Error ? e.message : String(e));
      }
    })();
  }

  /** Stops after the step under way; resolves when the job has let go of its tensors. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.done;
  }
}

export function paperJob(plan: PaperPlan, host: Host, emit: (e: PaperEvent) => void): TableJob {
  let last = 0;
  return new TableJob(
    async (cancelled) => {
      await runPaperTable(plan, host, {
        onStep: (method, seed, done, of) => {
          const now = performance.now();
          if (done !== 1 && done !== of && now - last < PROGRESS_MS) return;
          last = now;
          emit({ kind: 'paperStep', method, seed, done, of });
        },
        onRun: (method, seed, final) => emit({ kind: 'paperRun', method, seed, final }),
        cancelled,
      });
    },
    (status, message) => emit({ kind: 'paperStatus', status, ...(message ? { message } : {}) }),
  );
}

export function resourcesJob(plan: ResourcePlan, host: Host, emit: (e: PaperEvent) => void): TableJob {
  return new TableJob(
    async (cancelled) => {
      await runResources(plan, host, { onStart: (method) => emit({ kind: 'resourcesStart', method }), onRow: (row) => emit({ kind: 'resourcesRow', row }), cancelled });
    },
    (status, message) => emit({ kind: 'resourcesStatus', status, ...(message ? { message } : {}) }),
  );
}
