/**
 * One distillation run inside the engine worker, driven step by step: run, pause, single step,
 * reset. Metrics leave as typed arrays, batched a few times a second; tensors never leave.
 */
import { BASE_DEFAULTS, type DistillConfig, KNOBS, earlierReading } from '../config/knobs';
import { StepDriver } from '../distill/driver';
import type { Host } from '../distill/host';
import { disposeModel } from '../distill/models';
import { type PreparedRun, disposePrepared, prepareTrainer, runInfo } from '../distill/run';
import type { Trainer } from '../distill/trainer';
import { encodeSafetensors, readCheckpoint, saveCheckpoint } from '../model/checkpoint';
import type { ExportedWeights, HfFiles, SessionEvent } from '../protocol/messages';
import { exportHfFolders } from '../distill/hf';
import type { StepRecord } from '../protocol/records';
import { packSteps } from '../protocol/step-batch';

const FLUSH_MS = 250;

export class RunSession {
  private playing = false;
  private loopDone: Promise<void> = Promise.resolve();
  private buffer: StepRecord[] = [];
  private lastFlush = 0;
  private disposed = false;
  private readonly driver: StepDriver;

  private constructor(
    private readonly prepared: PreparedRun,
    private readonly emit: (e: SessionEvent) => void,
  ) {
    this.driver = new StepDriver(prepared.trainer, { final: true });
  }

  static async prepare(cfg: DistillConfig, host: Host, emit: (e: SessionEvent) => void): Promise<RunSession> {
    emit({ kind: 'status', status: 'preparing', done: 0 });
    const s = new RunSession(await prepareTrainer(cfg, host), emit);
    emit({ kind: 'prepared', info: runInfo(s.prepared) });
    emit({ kind: 'eval', record: (await s.driver.start())! });
    emit({ kind: 'status', status: 'ready', done: 0 });
    return s;
  }

  get trainer(): Trainer {
    return this.prepared.trainer;
  }

  /** Steps done. */
  get done(): number {
    return this.driver.done;
  }

  private flush(force = false): void {
    const now = performance.now();
    if (this.buffer.length && (force || now - this.lastFlush >= FLUSH_MS)) {
      this.emit({ kind: 'steps', batch: packSteps(this.buffer), done: this.done });
      this.buffer = [];
      this.lastFlush = now;
    }
  }

  /** One step, its metrics buffered; an evaluation when one is due, and the final record after the last step. */
  private async one(): Promise<void> {
    const r = await this.driver.next();
    this.buffer.push(r.step);
    this.flush(r.eval !== null);
    if (r.eval) this.emit({ kind: 'eval', record: r.eval });
    if (r.final) this.emit({ kind: 'final', record: r.final });
  }

  private fail(e: unknown): void {
    this.playing = false;
    this.flush(true);
    this.emit({ kind: 'status', status: 'failed', done: this.done, message: e instanceof Error ? e.message : String(e) });
  }

  private settled(): void {
    this.emit({ kind: 'status', status: this.driver.finished ? 'done' : 'paused', done: this.done });
  }

  /** Starts stepping until the end, a pause or a failure. */
  play(): void {
    if (this.playing || this.disposed) return;
    if (this.driver.finished) return this.settled();
    this.playing = true;
    this.emit({ kind: 'status', status: 'running', done: this.done });
    this.loopDone = (async () => {
      try {
        while (this.playing && !this.driver.finished) {
          await this.one();
          await new Promise((r) => setTimeout(r, 0)); // let pause/reset messages in
        }
        this.flush(true);
        this.playing = false;
        if (!this.disposed) this.settled();
      } catch (e) {
        this.fail(e);
      }
    })();
  }

  /** Stops after the step under way. */
  async pause(): Promise<void> {
    this.playing = false;
    await this.loopDone;
  }

  /** Exactly one step (when paused or ready). */
  async stepOnce(): Promise<void> {
    if (this.playing) throw new Error('pause the run before stepping');
    if (this.driver.finished) return this.settled();
    try {
      await this.one();
      this.flush(true);
      this.settled();
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Continues this run from downloaded weights (a file exportWeights made): they must come from a
   * run of the same config. Emits their evaluation; returns the steps they were saved after.
   */
  async loadWeights(bytes: Uint8Array, name: string): Promise<number> {
    if (this.playing) throw new Error('pause the run before loading weights');
    let saved: ReturnType<typeof readCheckpoint>;
    try {
      saved = readCheckpoint(bytes);
    } catch (e) {
      throw new Error(`${name} is not a model checkpoint: ${(e as Error).message}`);
    }
    let run: { config?: Partial<DistillConfig>; step?: number } = {};
    try {
      run = JSON.parse(saved.metadata.run ?? '{}');
    } catch {
      // handled below
    }
    const cfg = this.trainer.cfg;
    // A knob the file predates had its default then (the threshold's: the earlier reading).
    const then = { ...BASE_DEFAULTS, ...earlierReading(run.config ?? {}), ...run.config };
    const differs = KNOBS.filter((k) => JSON.stringify(then[k.key]) !== JSON.stringify(cfg[k.key])).map((k) => k.key);
    if (!run.config || typeof run.step !== 'number' || differs.length) {
      disposeModel(saved.model);
      throw new Error(run.config ? `${name} was saved by a run with other settings (${differs.slice(0, 4).join(', ')}${differs.length > 4 ? ', …' : ''}); load its .json with it` : `${name} was not saved by KD Playground (no run in its metadata)`);
    }
    this.trainer.loadWeights(saved.model, run.step);
    this.emit({ kind: 'eval', record: (await this.driver.evaluate())! });
    this.settled();
    return this.done;
  }

  /** The trained model (base weights and adapters) and, for LoRA methods, the adapter alone. */
  async exportWeights(): Promise<ExportedWeights> {
    if (this.playing) throw new Error('pause the run before downloading it');
    const m = this.trainer.model;
    // `step` in a file's metadata is the steps done (the name is kept for files saved before).
    const meta = { run: JSON.stringify({ config: this.trainer.cfg, step: this.done }) };
    const model = (await saveCheckpoint(m, meta, this.trainer.tokenizer.toJSON())).safetensors;
    const adapter = m.lora ? encodeSafetensors(Object.fromEntries(await Promise.all(Object.entries(m.lora.tensors).map(async ([n, t]) => [n, { shape: [...t.shape], data: (await t.data()) as Float32Array }]))), { ...meta, lora: JSON.stringify(m.lora.config) }) : null;
    return { model, adapter };
  }

  /** The trained model as Hugging Face folders (src/distill/hf.ts), file by file under their folder. */
  async exportHf(): Promise<HfFiles> {
    if (this.playing) throw new Error('pause the run before downloading it');
    const folders = await exportHfFolders(this.trainer.model, this.trainer.tokenizer.toHfTokenizerJson());
    const out: HfFiles = {};
    for (const [folder, files] of Object.entries(folders)) for (const [name, c] of Object.entries(files)) out[`${folder}/${name}`] = typeof c === 'string' ? new TextEncoder().encode(c) : c;
    return out;
  }

  async dispose(): Promise<void> {
    await this.pause();
    this.disposed = true;
    disposePrepared(this.prepared);
  }
}
