/**
 * One distillation run inside the engine worker, driven step by step: run, pause, single step,
 * reset. Metrics leave as typed arrays, batched a few times a second; tensors never leave.
 */
import { type DistillConfig, KNOBS } from '../distill/config';
import { type Host, prepareTrainer } from '../distill/run';
import { disposeModel } from '../distill/models';
import type { EvalRecord, FinalRecord, StepRecord, Trainer } from '../distill/trainer';
import { encodeSafetensors, readCheckpoint, saveCheckpoint } from '../model/checkpoint';
import type { Transformer } from '../model/transformer';
import { type StepBatch, packSteps } from './step-batch';

export interface RunInfo {
  config: DistillConfig;
  base: string;
  teacher: string;
  layerMap: number[];
  studentLayers: number;
  tau0: number | null;
  tauMin: number | null;
  trainableParams: number;
  totalParams: number;
  teacherParams: number;
  loraRank: number | null;
  loraModules: string[];
}

export type RunStatus = 'preparing' | 'ready' | 'running' | 'paused' | 'done' | 'failed';

export type SessionEvent =
  | { kind: 'progress'; what: string; step: number; of: number }
  | { kind: 'prepared'; info: RunInfo }
  /** Step records packed into typed arrays (engine/step-batch.ts). */
  | { kind: 'steps'; batch: StepBatch }
  | { kind: 'eval'; record: EvalRecord }
  | { kind: 'final'; record: FinalRecord }
  | { kind: 'status'; status: RunStatus; step: number; message?: string };

const FLUSH_MS = 250;

export class RunSession {
  private playing = false;
  private loopDone: Promise<void> = Promise.resolve();
  private buffer: StepRecord[] = [];
  private lastFlush = 0;
  private disposed = false;

  private constructor(
    readonly trainer: Trainer,
    private readonly teacher: Transformer | null,
    private readonly emit: (e: SessionEvent) => void,
  ) {}

  static async prepare(cfg: DistillConfig, host: Host, emit: (e: SessionEvent) => void): Promise<RunSession> {
    emit({ kind: 'status', status: 'preparing', step: 0 });
    const { trainer, teacher, baseOrigin } = await prepareTrainer(cfg, host);
    const s = new RunSession(trainer, teacher?.model ?? null, emit);
    const counts = trainer.paramCounts();
    emit({
      kind: 'prepared',
      info: {
        config: cfg,
        base: baseOrigin,
        teacher: teacher?.origin ?? 'none (this method trains on gold data only)',
        layerMap: trainer.layerMap(),
        studentLayers: trainer.model.config.nLayer,
        tau0: trainer.schedule?.tau0 ?? null,
        tauMin: trainer.schedule?.tauMin ?? null,
        trainableParams: counts.trainable,
        totalParams: counts.total,
        teacherParams: counts.teacher,
        loraRank: trainer.model.lora?.config.rank ?? null,
        loraModules: trainer.model.lora ? Object.keys(trainer.model.lora.tensors).filter((n) => n.endsWith('.lora_A')).map((n) => n.slice(0, -'.lora_A'.length)) : [],
      },
    });
    emit({ kind: 'eval', record: await trainer.evaluate() });
    emit({ kind: 'status', status: 'ready', step: 0 });
    return s;
  }

  get step(): number {
    return this.trainer.step;
  }

  private flush(force = false): void {
    const now = performance.now();
    if (this.buffer.length && (force || now - this.lastFlush >= FLUSH_MS)) {
      this.emit({ kind: 'steps', batch: packSteps(this.buffer) });
      this.buffer = [];
      this.lastFlush = now;
    }
  }

  /** One step, its metrics buffered; an evaluation every evalEvery steps and at the end. */
  private async one(): Promise<void> {
    const cfg = this.trainer.cfg;
    this.buffer.push(await this.trainer.trainStep());
    this.flush();
    const s = this.trainer.step;
    if (s >= cfg.steps || (cfg.evalEvery > 0 && s % cfg.evalEvery === 0)) {
      this.flush(true);
      const ev = await this.trainer.evaluate();
      this.emit({ kind: 'eval', record: ev });
      if (s >= cfg.steps) this.emit({ kind: 'final', record: await this.trainer.finalMetrics(ev) });
    }
  }

  private fail(e: unknown): void {
    this.playing = false;
    this.flush(true);
    this.emit({ kind: 'status', status: 'failed', step: this.step, message: e instanceof Error ? e.message : String(e) });
  }

  /** Starts stepping until the end, a pause or a failure. */
  play(): void {
    if (this.playing || this.disposed) return;
    if (this.step >= this.trainer.cfg.steps) return this.emit({ kind: 'status', status: 'done', step: this.step });
    this.playing = true;
    this.emit({ kind: 'status', status: 'running', step: this.step });
    this.loopDone = (async () => {
      try {
        while (this.playing && this.step < this.trainer.cfg.steps) {
          await this.one();
          await new Promise((r) => setTimeout(r, 0)); // let pause/reset messages in
        }
        this.flush(true);
        const done = this.step >= this.trainer.cfg.steps;
        this.playing = false;
        if (!this.disposed) this.emit({ kind: 'status', status: done ? 'done' : 'paused', step: this.step });
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
    if (this.step >= this.trainer.cfg.steps) return this.emit({ kind: 'status', status: 'done', step: this.step });
    try {
      await this.one();
      this.flush(true);
      this.emit({ kind: 'status', status: this.step >= this.trainer.cfg.steps ? 'done' : 'paused', step: this.step });
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Continues this run from downloaded weights (a file exportWeights made): they must come from a
   * run of the same config. Emits their evaluation; returns the step they were saved at.
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
    const differs = KNOBS.filter((k) => JSON.stringify(run.config?.[k.key]) !== JSON.stringify(this.trainer.cfg[k.key])).map((k) => k.key);
    if (!run.config || typeof run.step !== 'number' || differs.length) {
      disposeModel(saved.model);
      throw new Error(run.config ? `${name} was saved by a run with other settings (${differs.slice(0, 4).join(', ')}${differs.length > 4 ? ', …' : ''}); load its .json with it` : `${name} was not saved by KD Playground (no run in its metadata)`);
    }
    this.trainer.loadWeights(saved.model, run.step);
    const ev = await this.trainer.evaluate();
    this.emit({ kind: 'eval', record: ev });
    this.emit({ kind: 'status', status: this.step >= this.trainer.cfg.steps ? 'done' : 'paused', step: this.step });
    return this.step;
  }

  /** The trained model (base weights and adapters) and, for LoRA methods, the adapter alone. */
  async exportWeights(): Promise<{ model: Uint8Array; adapter: Uint8Array | null }> {
    if (this.playing) throw new Error('pause the run before downloading it');
    const m = this.trainer.model;
    const alphabet = this.trainer.data.tokenizer.alphabet.slice(1).join('');
    const meta = { run: JSON.stringify({ config: this.trainer.cfg, step: this.step }) };
    const model = (await saveCheckpoint(m, meta, { alphabet })).safetensors;
    const adapter = m.lora ? encodeSafetensors(Object.fromEntries(await Promise.all(Object.entries(m.lora.tensors).map(async ([n, t]) => [n, { shape: [...t.shape], data: (await t.data()) as Float32Array }]))), { ...meta, lora: JSON.stringify(m.lora.config) }) : null;
    return { model, adapter };
  }

  async dispose(): Promise<void> {
    await this.pause();
    this.disposed = true;
    this.trainer.dispose();
    disposeModel(this.teacher);
  }
}
