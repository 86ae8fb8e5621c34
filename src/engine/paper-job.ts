/**
 * The paper table as a background job of the engine worker: runs distill/paper.ts's sequence and
 * streams its progress (throttled) and each finished run. Stopping it takes effect after the step
 * under way; nothing of it is kept but the finished runs the page already has.
 */
import type { PaperPlan } from '../config/paper-plan';
import type { Host } from '../distill/host';
import { PaperCancelled, runPaperTable } from '../distill/paper';
import type { PaperEvent } from '../protocol/messages';

const PROGRESS_MS = 250;

export class PaperJob {
  private stopRequested = false;
  readonly done: Promise<void>;

  constructor(plan: PaperPlan, host: Host, emit: (e: PaperEvent) => void) {
    let last = 0;
    this.done = (async () => {
      emit({ kind: 'paperStatus', status: 'running' });
      try {
        await runPaperTable(plan, host, {
          onStep: (method, seed, done, of) => {
            const now = performance.now();
            if (done !== 1 && done !== of && now - last < PROGRESS_MS) return;
            last = now;
            emit({ kind: 'paperStep', method, seed, done, of });
          },
          onRun: (method, seed, final) => emit({ kind: 'paperRun', method, seed, final }),
          cancelled: () => this.stopRequested,
        });
        emit({ kind: 'paperStatus', status: 'done' });
      } catch (e) {
        if (e instanceof PaperCancelled) emit({ kind: 'paperStatus', status: 'stopped' });
        else emit({ kind: 'paperStatus', status: 'failed', message: e instanceof Error ? e.message : String(e) });
      }
    })();
  }

  /** Stops after the step under way; resolves when the job has let go of its tensors. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.done;
  }
}
