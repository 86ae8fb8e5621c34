/**
 * A run's training state, for every method: the trained model and its optimiser, the frozen
 * teacher, the data streams and the threshold schedule. `trainStep` does one step
 * (train-step.ts), `evaluate` scores the test set (evaluate.ts); the loop that drives them is the
 * step driver (driver.ts), the same for every host and script.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DivergenceOptions } from '../model/losses';
import { initLora } from '../model/lora';
import { NO_LIMITS } from '../model/memory';
import { backendMemoryProblem, stepMemory } from './step-memory';
import { countParams } from '../model/params';
import { Rng } from '../model/rng';
import type { SamplingOptions } from '../model/sampling';
import { type Transformer, allParams } from '../model/transformer';
import type { DataSource } from '../data/source';
import type { Tokenizer } from '../data/tokenizer';
import type { Example } from '../data/tasks';
import type { DistillConfig } from '../config/knobs';
import { METHOD_SPECS, type MethodSpec } from '../config/methods';
import type { EvalRecord, FinalRecord, StepRecord } from '../protocol/records';
import { encodeBatch, disposeBatch } from './batch';
import { calibrateSchedule } from './calibrate';
import { evaluateModel } from './evaluate';
import { layerMap } from './layers';
import { type Peaks, decodeMsPerToken, memorySnapshot, peakBytes } from './measure';
import { cloneModel, disposeModel, studentFromBase, studentLayers } from './models';
import { AdamW, lrAt } from './optim';
import type { Schedule } from './schedule';
import { type StepContext, trainStep } from './train-step';

export class Trainer implements StepContext {
  readonly spec: MethodSpec;
  readonly tokenizer: Tokenizer;
  readonly eosId: number;
  readonly trainableNames: string[];
  readonly optimizer: AdamW;
  readonly divergence: DivergenceOptions;
  readonly triggerDivergence: DivergenceOptions;
  readonly sampling: SamplingOptions;
  /** Steps done so far. */
  done = 0;
  private readonly dataRng: Rng;
  private readonly policyRng: Rng;
  private peakGpuBytes = 0;
  /** Counted rollout tokens of the steps so far, and those the teacher produced. */
  private readonly rolloutTokens = { teacher: 0, all: 0 };

  private constructor(
    readonly cfg: DistillConfig,
    /** The model being trained (owned). */
    readonly model: Transformer,
    /** The frozen teacher (not owned), for the KD methods. */
    readonly teacher: Transformer | null,
    /** τ(s, t), or null when the method has no threshold. */
    readonly schedule: Schedule | null,
    /** Where examples come from. */
    readonly data: DataSource,
  ) {
    this.spec = METHOD_SPECS[cfg.method];
    this.tokenizer = data.tokenizer;
    this.eosId = eosIdOf(data);
    this.trainableNames = this.spec.trainable === 'lora' ? Object.keys(model.lora!.tensors) : Object.keys(model.weights);
    this.dataRng = Rng.derive(cfg.seedData, 'train');
    this.policyRng = Rng.derive(cfg.seedData, 'policy');
    this.optimizer = new AdamW(this.trainableNames, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay, gradClip: cfg.gradClip });
    this.divergence = divergenceOptions(cfg);
    this.triggerDivergence = triggerOptions(cfg);
    this.sampling = samplingOptions(cfg);
  }

  /**
   * Builds the trained model from the base checkpoint (not consumed) and, for methods with a
   * threshold, calibrates τ0 on a warm-up rollout.
   */
  static async create(cfg: DistillConfig, data: DataSource, base: Transformer, teacher: Transformer | null): Promise<Trainer> {
    const spec = METHOD_SPECS[cfg.method];
    if (spec.signal !== 'ce' && !teacher) throw new Error(`method ${cfg.method} needs a teacher`);
    // Our own tokenizers fill the vocabulary exactly; an imported model's may have spare rows (a padded vocabulary).
    const fits = data.tokenizer.kind === 'char' && data.tokenizer.toJSON() ? data.tokenizer.vocabSize === base.config.vocabSize : data.tokenizer.vocabSize <= base.config.vocabSize;
    if (!fits) throw new Error(`the data's tokenizer has ${data.tokenizer.vocabSize} ids but the model's vocabulary is ${base.config.vocabSize}`);
    if (teacher && teacher.config.vocabSize !== base.config.vocabSize) throw new Error(`the teacher's vocabulary (${teacher.config.vocabSize}) is not the base's (${base.config.vocabSize})`);
    if (data.maxSequenceLength > base.config.contextLength + 1) {
      throw new Error(`the data's sequences (${data.maxSequenceLength}) do not fit the model's context (${base.config.contextLength})`);
    }
    const trained = spec.model === 'teacher' ? base.config : { ...base.config, nLayer: studentLayers(base.config.nLayer, cfg.studentBlocks).length };
    const lora = spec.trainable === 'lora' ? { rank: cfg.loraRank, targets: cfg.loraTargets } : null;
    const heap = backendMemoryProblem(stepMemory(spec.signal === 'ce' ? null : teacher!.config, trained, { batch: cfg.batchSize, seq: data.maxSequenceLength, lora }, NO_LIMITS), tf.getBackend());
    if (heap) throw new Error(`${cfg.method} at batch ${cfg.batchSize}: ${heap}`);
    const model = spec.model === 'teacher' ? cloneModel(base) : studentFromBase(base, cfg.studentBlocks);
    if (spec.trainable === 'lora') {
      model.lora = initLora(model.config, { rank: cfg.loraRank, alpha: cfg.loraAlpha, targets: cfg.loraTargets, dropout: cfg.loraDropout }, cfg.seedInit);
    }
    const kdTeacher = spec.signal === 'ce' ? null : teacher;
    try {
      const calibration = { student: model, teacher: kdTeacher, data, eosId: eosIdOf(data), divergence: triggerOptions(cfg), sampling: samplingOptions(cfg) };
      const schedule = await calibrateSchedule(calibration, cfg, spec);
      return new Trainer(cfg, model, kdTeacher, schedule, data);
    } catch (e) {
      disposeModel(model);
      throw e;
    }
  }

  /** One training step (the next one: step index `done`); with `dryRun` nothing is updated or advanced. */
  async trainStep(opts: { dryRun?: boolean; examples?: Example[] } = {}): Promise<StepRecord> {
    const s = this.done;
    const cfg = this.cfg;
    const t0 = performance.now();
    // Where the data streams stand: a rejected step (NonFiniteError) puts them back, so that the
    // run is exactly as it was (the weights and the optimiser are left as they were by the step).
    const streams = [this.dataRng.state(), this.policyRng.state()] as const;
    // A dry run (memory profiling) takes the costlier branch whenever rollouts can happen.
    const onPolicy = this.spec.signal === 'onpolicy' && (opts.dryRun ? cfg.lambdaOnPolicy > 0 : this.policyRng.uniform() < cfg.lambdaOnPolicy);
    const examples = opts.examples ?? this.data.trainBatch(this.dataRng, cfg.batchSize);
    let result: Awaited<ReturnType<typeof trainStep>>;
    try {
      result = await trainStep(this, { step: s, lr: lrAt(s, cfg), onPolicy, examples, dryRun: opts.dryRun ?? false }, (next) => this.swapParams(next));
    } catch (e) {
      this.dataRng.restore(streams[0]);
      this.policyRng.restore(streams[1]);
      throw e;
    }
    const { tokens, ...rec } = result;
    const ms = performance.now() - t0;
    const memory = memorySnapshot();
    if (memory.gpuBytesInUse !== undefined) this.peakGpuBytes = Math.max(this.peakGpuBytes, memory.gpuBytesInUse);
    if (!opts.dryRun) {
      this.done += 1;
      this.rolloutTokens.teacher += rec.teacherTokens ?? 0;
      this.rolloutTokens.all += rec.rolloutTokens ?? 0;
    }
    return { ...rec, msPerStep: ms, tokensPerSec: tokens / (ms / 1000), memory };
  }

  /** Replaces trainable tensors by name and frees the old ones. */
  private swapParams(next: Record<string, tf.Tensor>): void {
    for (const [name, t] of Object.entries(next)) {
      const home = name in this.model.weights ? this.model.weights : this.model.lora!.tensors;
      home[name]!.dispose();
      home[name] = t;
    }
  }

  /**
   * Replaces the trained weights (and adapters) with a saved model of the same architecture, which
   * this takes over, and goes on from `done` steps: the learning rate and τ continue from there;
   * the optimiser's moments and the data order start again (a download keeps neither).
   */
  loadWeights(saved: Transformer, done: number): void {
    const arch = (m: Transformer) => JSON.stringify({ model: m.config, lora: m.lora?.config ?? null });
    const problem =
      arch(saved) !== arch(this.model)
        ? `their architecture ${arch(saved)} is not this run's ${arch(this.model)}`
        : !Number.isInteger(done) || done < 0 || done > this.cfg.steps
          ? `their step ${done} is outside this run's 0…${this.cfg.steps}`
          : null;
    if (problem) {
      disposeModel(saved);
      throw new Error(`these weights cannot continue this run: ${problem}`);
    }
    tf.dispose(Object.values(this.model.weights));
    this.model.weights = saved.weights;
    if (this.model.lora && saved.lora) {
      tf.dispose(Object.values(this.model.lora.tensors));
      this.model.lora.tensors = saved.lora.tensors;
    }
    this.optimizer.reset();
    this.done = done;
  }

  /** Test-set quality of the trained model now. */
  evaluate(maxSamples = 4): Promise<EvalRecord> {
    return evaluateModel(this.model, this.data, this.done, maxSamples);
  }

  /** Counts of the run: trainable parameters, the trained model's total, the teacher's. */
  paramCounts(): { trainable: number; total: number; teacher: number } {
    const trainable = this.trainableNames.reduce((a, n) => a + allParams(this.model)[n]!.size, 0);
    return { trainable, total: countParams(allParams(this.model)), teacher: this.teacher ? countParams(this.teacher.weights) : 0 };
  }

  /** The evaluation plus sizes, the logical peak of one step on the longest examples, and decoding latency. */
  async finalMetrics(evalRecord?: EvalRecord): Promise<FinalRecord> {
    const ev = evalRecord ?? (await this.evaluate());
    const counts = this.paramCounts();
    const peakBytes = (await this.peakStep()).logical;
    const msPerToken = await this.decodeLatency(32); // enough tokens for a per-token median
    const rec: FinalRecord = { ...ev, trainableParams: counts.trainable, totalParams: counts.total, teacherParams: counts.teacher, peakBytes, msPerToken };
    if (this.peakGpuBytes > 0) rec.peakGpuBytes = this.peakGpuBytes;
    if (this.rolloutTokens.all > 0) rec.teacherTokenShare = this.rolloutTokens.teacher / this.rolloutTokens.all;
    return rec;
  }

  /**
   * The peak bytes of one step on the run's longest examples, logical (tf.profile) and of distinct buffers:
   * nothing updated, or with `update` a real step, the optimiser's update included.
   */
  async peakStep(update = false): Promise<Peaks> {
    const longest = this.data.longestBatch(Rng.derive(this.cfg.seedData, 'peak'), this.cfg.batchSize);
    return peakBytes(() => this.trainStep({ dryRun: !update, examples: longest }));
  }

  /** Median ms per token of greedy KV-cached decoding (LoRA merged) of up to `tokens` tokens after a training prompt. */
  async decodeLatency(tokens: number, runs?: number, warmup?: number): Promise<number> {
    const latency = encodeBatch(this.tokenizer, this.data.trainBatch(Rng.derive(this.cfg.seedData, 'latency'), 1));
    try {
      return await decodeMsPerToken(this.model, latency.prompt, Math.min(latency.response.shape[1], tokens), runs, warmup);
    } finally {
      disposeBatch(latency);
    }
  }

  /** webgpu only: the largest device bytes in use sampled after a step (0 elsewhere). */
  get liveGpuBytes(): number {
    return this.peakGpuBytes;
  }

  /** Layer map of this run (student layer → teacher layer, 1-based), for display. */
  layerMap(): number[] {
    return this.teacher ? layerMap(this.model.config.nLayer, this.teacher.config.nLayer) : [];
  }

  /** Frees the optimiser and hands the trained model to the caller (who then owns it). */
  release(): Transformer {
    this.optimizer.dispose();
    return this.model;
  }

  dispose(): void {
    this.optimizer.dispose();
    disposeModel(this.model);
  }
}

function eosIdOf(data: DataSource): number {
  return data.eos === null ? -1 : data.tokenizer.id(data.eos);
}

function divergenceOptions(cfg: DistillConfig): DivergenceOptions {
  return { kind: cfg.divergence, temperature: cfg.temperature, beta: cfg.beta, alpha: cfg.skewAlpha };
}

/** The trigger's divergence, at the KD temperature as the loss's (jsd takes no weight; gjsd and skl share the loss's β and α). */
function triggerOptions(cfg: DistillConfig): DivergenceOptions {
  return { ...divergenceOptions(cfg), kind: cfg.triggerDivergence };
}

function samplingOptions(cfg: DistillConfig): SamplingOptions {
  return { greedy: false, temperature: cfg.sampleTemperature, topK: 0, topP: 1 };
}
