/**
 * The one training loop. Every host and script steps a run through a StepDriver — the CLI run,
 * the worker's session, the paper table, teacher and base recipes, pretraining, finetuning and the
 * `--verify` checks — so a run evaluates at the same steps wherever it runs: before the first
 * step, after every `evalEvery` steps, and after the last.
 */
import type { EvalRecord, FinalRecord, StepRecord } from '../protocol/records';
import type { Trainer } from './trainer';

/** Whether a run of `steps` steps evaluates once `done` steps are done. */
export function evalDue(done: number, steps: number, evalEvery: number): boolean {
  return done === 0 || done === steps || (evalEvery > 0 && done % evalEvery === 0);
}

export interface DriverOptions<E> {
  /** Steps of the run (default: the config's). */
  steps?: number;
  /** Evaluate every this many steps (default: the config's evalEvery; 0: only before and after). */
  evalEvery?: number;
  /** How to evaluate (default: the trainer's test-set evaluation); null: never. */
  evaluate?: ((trainer: Trainer) => Promise<E>) | null;
  /** Compute the final record (sizes, peak memory, latency) after the last step. */
  final?: boolean;
}

/** What one call of next() did. */
export interface Stepped<E> {
  step: StepRecord;
  /** Steps done after this one. */
  done: number;
  eval: E | null;
  final: FinalRecord | null;
}

export interface DriveHooks<E> {
  onStep?(rec: StepRecord, done: number): void;
  onEval?(rec: E): void;
  onFinal?(rec: FinalRecord): void;
  /** Asked before every step: true stops the loop. */
  shouldStop?(done: number): boolean;
}

export class StepDriver<E = EvalRecord> {
  readonly steps: number;
  private readonly evalEvery: number;
  private readonly evaluator: ((trainer: Trainer) => Promise<E>) | null;
  private readonly wantFinal: boolean;
  /** Evaluations are the trainer's own (EvalRecord), which the final record can reuse. */
  private readonly testSetEvals: boolean;
  /** The last evaluation and the steps done when it was made. */
  private last: { done: number; eval: E } | null = null;

  constructor(
    readonly trainer: Trainer,
    o: DriverOptions<E> = {},
  ) {
    this.steps = o.steps ?? trainer.cfg.steps;
    this.evalEvery = o.evalEvery ?? trainer.cfg.evalEvery;
    this.evaluator = o.evaluate === undefined ? (t) => t.evaluate() as Promise<E> : o.evaluate;
    this.wantFinal = o.final ?? false;
    this.testSetEvals = o.evaluate === undefined;
  }

  get done(): number {
    return this.trainer.done;
  }

  get finished(): boolean {
    return this.trainer.done >= this.steps;
  }

  /** Evaluates now (null when this driver does not evaluate). */
  async evaluate(): Promise<E | null> {
    if (!this.evaluator) return null;
    const ev = await this.evaluator(this.trainer);
    this.last = { done: this.trainer.done, eval: ev };
    return ev;
  }

  /** The evaluation before the first step (or at the step a loaded run goes on from). */
  start(): Promise<E | null> {
    return this.evaluate();
  }

  /** One step, then the evaluation when one is due and, after the last step, the final record. */
  async next(): Promise<Stepped<E>> {
    const step = await this.step();
    return { step, done: this.done, ...(await this.afterStep()) };
  }

  private step(): Promise<StepRecord> {
    if (this.finished) throw new Error(`the run is over: all ${this.steps} steps are done`);
    return this.trainer.trainStep();
  }

  private async afterStep(): Promise<{ eval: E | null; final: FinalRecord | null }> {
    const ev = evalDue(this.done, this.steps, this.evalEvery) ? await this.evaluate() : null;
    const final = this.finished && this.wantFinal ? await this.finalRecord() : null;
    return { eval: ev, final };
  }

  /** The final record, reusing a test-set evaluation made at this very step. */
  async finalRecord(): Promise<FinalRecord> {
    const reuse = this.testSetEvals && this.last?.done === this.done ? (this.last.eval as EvalRecord) : undefined;
    return this.trainer.finalMetrics(reuse);
  }

  /**
   * Evaluates first (when `start`), then steps until the run is over or `shouldStop` says so.
   * A run stopped early is evaluated where it stopped.
   */
  async run(hooks: DriveHooks<E> = {}, o: { start?: boolean } = {}): Promise<void> {
    if (o.start ?? true) {
      const ev0 = await this.start();
      if (ev0 !== null) hooks.onEval?.(ev0);
    }
    while (!this.finished && !hooks.shouldStop?.(this.done)) {
      const step = await this.step();
      hooks.onStep?.(step, this.done); // may throw to abandon the run (nothing more is measured)
      const r = await this.afterStep();
      if (r.eval !== null) hooks.onEval?.(r.eval);
      if (r.final) hooks.onFinal?.(r.final);
    }
    if (!this.finished && this.evaluator && this.last?.done !== this.done) {
      const ev = await this.evaluate();
      hooks.onEval?.(ev!);
    }
    if (!this.finished && this.wantFinal) hooks.onFinal?.(await this.finalRecord());
  }
}
