/**
 * The training loop of every method (design §1.5): one step builds a batch (a student rollout
 * with teacher intervention, or gold data), scores it with the teacher, computes the loss and its
 * gradient with respect to the trainable tensors only, applies AdamW, and returns a plain metrics
 * record. Each step reads the device back exactly once (every scalar is packed into one tensor).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DivergenceOptions } from '../model/losses';
import { crossEntropy, maskedMean, tokenNll } from '../model/losses';
import { initLora, mergeLora } from '../model/lora';
import { addAll } from '../model/ops';
import { countParams } from '../model/params';
import { Rng } from '../model/rng';
import { type SamplingOptions, generate } from '../model/sampling';
import { type Transformer, allParams, forward, valueAndGrads } from '../model/transformer';
import type { Example } from '../data/tasks';
import type { DataSource } from '../data/source';
import type { CharTokenizer } from '../data/tokenizer';
import type { DistillConfig } from './config';
import { layerDivergences, layerMap } from './layers';
import { METHOD_SPECS, type MethodSpec } from './methods';
import { accuracyByPosition, chars, effectiveRank, rougeL, singularValuesFromGrams, words } from './metrics';
import { cloneModel, disposeModel, studentFromBase } from './models';
import { AdamW, lrAt } from './optim';
import { type Rollout, disposeRollout, stiRollout } from './rollout';
import { type Schedule, makeSchedule, tauAt } from './schedule';

export interface MemorySnapshot {
  numTensors: number;
  numBytes: number;
  /** webgpu only: bytes of live GPU buffers. */
  gpuBytesInUse?: number;
  /** webgpu only: bytes of the buffer pool (tfjs never frees it). */
  gpuBytesPooled?: number;
}

export interface StepRecord {
  step: number;
  loss: number;
  lossOut: number;
  lossLayer: number;
  lossCe: number;
  /** τ(s) this step, or null when the method has no threshold. */
  tau: number | null;
  onPolicy: boolean;
  /** Fraction of rollout tokens the teacher replaced (0 on gold batches). */
  interventionRate: number;
  /** Per student layer: fraction of positions where D_ℓ,t ≥ τ (empty without a teacher). */
  layerInterventionRate: number[];
  /** Per student layer: mean D_ℓ,t over the response positions (empty without a teacher). */
  layerDivergence: number[];
  /** Layer × position divergence of the first sequence, when asked. */
  heatmap?: { layers: number; positions: number; values: number[] };
  /** The first sequence's response, with the positions the teacher replaced, when asked. */
  sample?: { prompt: string; response: string; intervened: number[]; divergence: number[] };
  lr: number;
  gradNorm: number;
  msPerStep: number;
  tokensPerSec: number;
  memory: MemorySnapshot;
  /** Entropy-based effective rank of every LoRA ΔW, by module path, every rankEvery steps. */
  effectiveRank?: Record<string, number>;
}

export interface EvalRecord {
  step: number;
  rougeL: number;
  exactMatch: number;
  perplexity: number;
  byLength: { length: number; rougeL: number; exactMatch: number; beyondTraining: boolean }[];
  /** Accuracy at each output position, over the test lengths beyond the training range. */
  accuracyByPositionBeyond: number[];
  /** Accuracy at each output position, over all test lengths. */
  accuracyByPosition: number[];
  samples: { prompt: string; output: string; gold: string }[];
}

export interface FinalRecord extends EvalRecord {
  trainableParams: number;
  totalParams: number;
  teacherParams: number;
  /** Logical peak bytes of one training step (tf.profile), teacher and optimiser state included. */
  peakBytes: number;
  /** webgpu only: the largest live GPU bytes sampled after a step. */
  peakGpuBytes?: number;
  msPerToken: number;
}

export class NonFiniteError extends Error {
  constructor(readonly step: number, what: string) {
    super(`${what} is not finite at step ${step}; the run stopped and kept the weights ${step === 0 ? 'it started with' : `of step ${step - 1}`}`);
    this.name = 'NonFiniteError';
  }
}

interface EncodedBatch {
  prompt: tf.Tensor2D; // int32 [B, P]
  response: tf.Tensor2D; // int32 [B, R]
  examples: Example[];
}

/** Memory as tfjs reports it; GPU fields only on webgpu. */
export function memorySnapshot(): MemorySnapshot {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number };
  const out: MemorySnapshot = { numTensors: m.numTensors, numBytes: m.numBytes };
  if (m.numBytesInGPU !== undefined) out.gpuBytesInUse = m.numBytesInGPU;
  if (m.numBytesAllocatedInGPU !== undefined) out.gpuBytesPooled = m.numBytesAllocatedInGPU;
  return out;
}

export class Trainer {
  readonly spec: MethodSpec;
  readonly tokenizer: CharTokenizer;
  readonly trainableNames: string[];
  readonly schedule: Schedule | null;
  /** Id of the end-of-response mark, or −1 when responses have none. */
  readonly eosId: number;
  step = 0;
  private readonly dataRng: Rng;
  private readonly policyRng: Rng;
  private readonly optimizer: AdamW;
  private readonly divOpts: DivergenceOptions;
  private readonly sampling: SamplingOptions;
  private peakGpuBytes = 0;

  private constructor(
    readonly cfg: DistillConfig,
    /** The model being trained (owned). */
    readonly model: Transformer,
    /** The frozen teacher (not owned), for the KD methods. */
    readonly teacher: Transformer | null,
    schedule: Schedule | null,
    /** Where examples come from. */
    readonly data: DataSource,
  ) {
    this.spec = METHOD_SPECS[cfg.method];
    this.tokenizer = data.tokenizer;
    this.eosId = data.eos === null ? -1 : this.tokenizer.id(data.eos);
    this.trainableNames = this.spec.trainable === 'lora' ? Object.keys(model.lora!.tensors) : Object.keys(model.weights);
    this.schedule = schedule;
    this.dataRng = Rng.derive(cfg.seedData, 'train');
    this.policyRng = Rng.derive(cfg.seedData, 'policy');
    this.optimizer = new AdamW(this.trainableNames, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay, gradClip: cfg.gradClip });
    this.divOpts = { kind: cfg.divergence, temperature: cfg.temperature, beta: cfg.beta, alpha: cfg.skewAlpha };
    this.sampling = { greedy: false, temperature: cfg.sampleTemperature, topK: 0, topP: 1 };
  }

  /**
   * Builds the trained model from the base checkpoint (not consumed) and, for methods with a
   * threshold, calibrates τ0 on a warm-up rollout.
   */
  static async create(cfg: DistillConfig, data: DataSource, base: Transformer, teacher: Transformer | null): Promise<Trainer> {
    const spec = METHOD_SPECS[cfg.method];
    if (spec.signal !== 'ce' && !teacher) throw new Error(`method ${cfg.method} needs a teacher`);
    const model = spec.model === 'teacher' ? cloneModel(base) : studentFromBase(base);
    if (spec.trainable === 'lora') {
      model.lora = initLora(model.config, { rank: cfg.loraRank, alpha: cfg.loraAlpha, targets: cfg.loraTargets, dropout: cfg.loraDropout }, cfg.seedInit);
    }
    // τ matters to the threshold trigger of rollouts and to the layer-selective term.
    const needsTau = (spec.signal === 'onpolicy' && cfg.trigger === 'threshold') || (spec.signal !== 'ce' && cfg.wLayer > 0);
    let schedule: Schedule | null = null;
    if (data.tokenizer.vocabSize !== model.config.vocabSize) {
      throw new Error(`the data's tokenizer has ${data.tokenizer.vocabSize} ids but the model's vocabulary is ${model.config.vocabSize}`);
    }
    if (data.maxSequenceLength > model.config.contextLength + 1) {
      throw new Error(`the data's sequences (${data.maxSequenceLength}) do not fit the model's context (${model.config.contextLength})`);
    }
    const trainer = new Trainer(cfg, model, spec.signal === 'ce' ? null : teacher, null, data);
    if (needsTau) {
      const warm = cfg.tauMode === 'auto' ? await trainer.warmupDivergences() : undefined;
      schedule = makeSchedule(cfg, warm);
    }
    (trainer as { schedule: Schedule | null }).schedule = schedule;
    return trainer;
  }

  /** Output-layer divergence at every valid position of a student rollout without intervention. */
  async warmupDivergences(): Promise<Float32Array> {
    const batch = this.encode(this.data.trainBatch(Rng.derive(this.cfg.seedData, 'warmup'), this.cfg.batchSize));
    const r = stiRollout(this.model, this.teacher!, batch.prompt, {
      length: batch.response.shape[1],
      trigger: 'none',
      tau: Infinity,
      topK: this.cfg.topK,
      divergence: this.divOpts,
      sampling: this.sampling,
      seed: Rng.derive(this.cfg.seedSample, 'warmup').nextUint32(),
    });
    const valid = this.validMask(r.tokens);
    const packed = tf.stack([r.divergence, valid]);
    const v = (await packed.data()) as Float32Array;
    const n = r.divergence.size;
    tf.dispose([packed, valid, batch.prompt, batch.response]);
    disposeRollout(r);
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (v[n + i]! > 0) out.push(v[i]!);
    return Float32Array.from(out);
  }

  /**
   * Replaces the trained weights (and adapters) with a saved model of the same architecture, which
   * this takes over, and goes on from `step`: the learning rate and τ continue from there; the
   * optimiser's moments and the data order start again (a download keeps neither).
   */
  loadWeights(saved: Transformer, step: number): void {
    const arch = (m: Transformer) => JSON.stringify({ model: m.config, lora: m.lora?.config ?? null });
    const problem =
      arch(saved) !== arch(this.model)
        ? `their architecture ${arch(saved)} is not this run's ${arch(this.model)}`
        : !Number.isInteger(step) || step < 0 || step > this.cfg.steps
          ? `their step ${step} is outside this run's 0…${this.cfg.steps}`
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
    this.step = step;
  }

  tauAt(step: number): number | null {
    return this.schedule ? tauAt(this.schedule, step) : null;
  }

  private encode(examples: Example[]): EncodedBatch {
    const P = [...examples[0]!.prompt].length;
    const R = [...examples[0]!.response].length;
    if (examples.some((e) => [...e.prompt].length !== P || [...e.response].length !== R)) {
      throw new Error('a batch must hold examples of one prompt length and one response length');
    }
    const p = examples.flatMap((e) => this.tokenizer.encode(e.prompt));
    const r = examples.flatMap((e) => this.tokenizer.encode(e.response));
    return { prompt: tf.tensor2d(p, [examples.length, P], 'int32'), response: tf.tensor2d(r, [examples.length, R], 'int32'), examples };
  }

  /** 1 at every response position up to and including the first EOS, else 0: [B, R]. */
  private validMask(tokens: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const eos = tf.cast(tf.equal(tokens, this.eosId), 'float32');
      return tf.cast(tf.equal(tf.cumsum(eos, 1, true), 0), 'float32') as tf.Tensor2D; // exclusive: EOS itself stays valid
    });
  }

  /** Counts of the run: trainable parameters, the trained model's total, the teacher's. */
  paramCounts(): { trainable: number; total: number; teacher: number } {
    const trainable = this.trainableNames.reduce((a, n) => a + allParams(this.model)[n]!.size, 0);
    return { trainable, total: countParams(allParams(this.model)), teacher: this.teacher ? countParams(this.teacher.weights) : 0 };
  }

  /**
   * One training step. With `dryRun` nothing is updated (used to profile memory).
   */
  async trainStep(opts: { dryRun?: boolean; examples?: Example[] } = {}): Promise<StepRecord> {
    const s = this.step;
    const cfg = this.cfg;
    const t0 = performance.now();
    const tau = this.tauAt(s);
    // A dry run (memory profiling) takes the costlier branch whenever rollouts can happen.
    const onPolicy = this.spec.signal === 'onpolicy' && (opts.dryRun ? cfg.lambdaOnPolicy > 0 : this.policyRng.uniform() < cfg.lambdaOnPolicy);
    const batch = this.encode(opts.examples ?? this.data.trainBatch(this.dataRng, cfg.batchSize));
    const [B, P] = batch.prompt.shape;
    const R = batch.response.shape[1];
    const wantHeat = cfg.heatmapEvery > 0 && s % cfg.heatmapEvery === 0;
    const wantRank = this.model.lora !== null && cfg.rankEvery > 0 && s % cfg.rankEvery === 0;
    let rollout: Rollout | null = null;
    if (onPolicy) {
      rollout = stiRollout(this.model, this.teacher!, batch.prompt, {
        length: R,
        trigger: cfg.trigger,
        tau: tau ?? Infinity,
        topK: cfg.topK,
        divergence: this.divOpts,
        sampling: this.sampling,
        seed: (cfg.seedSample * 1_000_003 + s) >>> 0,
      });
    }
    const lr = lrAt(s, cfg);
    const parts: { name: string; t: tf.Tensor }[] = [];
    const kept: tf.Tensor[] = [];
    let newParams: Record<string, tf.Tensor> | null = null;
    try {
      tf.tidy(() => {
        const response = rollout ? rollout.tokens : batch.response;
        const seq = tf.concat([batch.prompt, response], 1); // [B, P + R]
        const T = P + R - 1;
        const inputs = tf.slice(seq, [0, 0], [B, T]) as tf.Tensor2D; // [B, T]
        const targets = tf.slice(seq, [0, 1], [B, T]) as tf.Tensor2D; // [B, T]
        const valid = rollout ? this.validMask(rollout.tokens) : tf.cast(tf.onesLike(batch.response), 'float32');
        const mask = tf.concat([tf.zeros([B, P - 1]), valid], 1); // [B, T]: response-predicting positions
        const teacherOut = this.teacher ? forward(this.teacher, inputs, { returnHidden: true }) : null;
        const L = this.model.config.nLayer;
        const aux: Record<string, tf.Tensor> = {};
        const { value, grads } = valueAndGrads(this.model, this.trainableNames, (m) => {
          const out = forward(m, inputs, { returnHidden: true, dropoutSeed: this.model.lora?.config.dropout ? cfg.seedSample * 7 + s : undefined });
          let loss: tf.Scalar = tf.scalar(0);
          let lossOut: tf.Scalar = tf.scalar(0);
          let lossLayer: tf.Scalar = tf.scalar(0);
          let lossCe: tf.Scalar = tf.scalar(0);
          if (this.spec.signal === 'ce') {
            lossCe = crossEntropy(out.logits, targets, mask);
            loss = lossCe;
          } else {
            const D = layerDivergences(m, out.hidden!, this.teacher!, teacherOut!.hidden!, this.divOpts); // [L, B, T]
            const dOut = tf.squeeze(tf.slice(D, [L - 1, 0, 0], [1, B, T]), [0]); // [B, T]
            lossOut = tf.mul(maskedMean(dOut, mask), cfg.temperature ** 2);
            const fired = tau === null ? tf.zerosLike(D) : tf.cast(tf.greaterEqual(D, tau), 'float32'); // [L, B, T]
            if (L > 1 && cfg.wLayer > 0) {
              const inner = tf.slice(tf.mul(D, fired), [0, 0, 0], [L - 1, B, T]); // intermediate layers only
              const perLayer = tf.div(tf.sum(tf.mul(inner, mask), [1, 2]), tf.maximum(tf.sum(mask), 1)); // [L - 1]
              lossLayer = tf.mul(tf.sum(perLayer), cfg.temperature ** 2);
            }
            if (!rollout && cfg.alphaCe > 0) lossCe = crossEntropy(out.logits, targets, mask);
            loss = addAll([tf.mul(lossOut, cfg.wOut), tf.mul(lossLayer, cfg.wLayer), tf.mul(lossCe, cfg.alphaCe)]) as tf.Scalar;
            const denom = tf.maximum(tf.sum(mask), 1);
            aux.layerDiv = tf.keep(tf.div(tf.sum(tf.mul(D, mask), [1, 2]), denom)); // [L]
            aux.layerRate = tf.keep(tf.div(tf.sum(tf.mul(fired, mask), [1, 2]), denom)); // [L]
            if (wantHeat) aux.heat = tf.keep(tf.reshape(tf.slice(D, [0, 0, P - 1], [L, 1, R]), [L * R])); // first sequence, response positions
          }
          aux.lossOut = tf.keep(lossOut);
          aux.lossLayer = tf.keep(lossLayer);
          aux.lossCe = tf.keep(lossCe);
          return loss;
        });
        const current = Object.fromEntries(this.trainableNames.map((n) => [n, allParams(this.model)[n]!]));
        const upd = this.optimizer.step(current, grads, value, lr, !opts.dryRun);
        if (!opts.dryRun) newParams = upd.params;
        for (const t of Object.values(upd.params)) kept.push(tf.keep(t));
        // Pack every number of this step into one tensor: one readback.
        const tokenRate = rollout ? tf.div(tf.sum(tf.mul(rollout.intervened, valid)), tf.maximum(tf.sum(valid), 1)) : tf.scalar(0);
        parts.push(
          { name: 'loss', t: value },
          { name: 'lossOut', t: aux.lossOut! },
          { name: 'lossLayer', t: aux.lossLayer! },
          { name: 'lossCe', t: aux.lossCe! },
          { name: 'gradNorm', t: upd.gradNorm },
          { name: 'applied', t: upd.applied },
          { name: 'tokenRate', t: tokenRate },
        );
        if (aux.layerDiv) parts.push({ name: 'layerDiv', t: aux.layerDiv }, { name: 'layerRate', t: aux.layerRate! });
        if (aux.heat) parts.push({ name: 'heat', t: aux.heat });
        if (wantHeat && rollout) {
          parts.push(
            { name: 'sampleTokens', t: tf.cast(tf.slice(rollout.tokens, [0, 0], [1, R]), 'float32') },
            { name: 'sampleMask', t: tf.slice(rollout.intervened, [0, 0], [1, R]) },
            { name: 'sampleDiv', t: tf.slice(rollout.divergence, [0, 0], [1, R]) },
          );
        }
        if (wantRank) {
          for (const name of Object.keys(this.model.lora!.tensors).filter((n) => n.endsWith('.lora_A'))) {
            const A = this.model.lora!.tensors[name] as tf.Tensor2D;
            const Bm = this.model.lora!.tensors[name.replace('lora_A', 'lora_B')] as tf.Tensor2D;
            const path = name.slice(0, -'.lora_A'.length);
            parts.push({ name: `gramA:${path}`, t: tf.matMul(A, A, true, false) }, { name: `gramB:${path}`, t: tf.matMul(Bm, Bm, false, true) });
          }
        }
        for (const p of parts) tf.keep(p.t);
      });
      const packed = tf.tidy(() => tf.concat(parts.map((p) => tf.reshape(p.t, [-1]))));
      const flat = (await packed.data()) as Float32Array;
      packed.dispose();
      const read: Record<string, number[]> = {};
      let off = 0;
      for (const p of parts) {
        read[p.name] = Array.from(flat.subarray(off, off + p.t.size));
        off += p.t.size;
      }
      if (!Number.isFinite(read.loss![0]!) || read.applied![0] !== 1) {
        tf.dispose(Object.values(newParams ?? {}));
        newParams = null;
        throw new NonFiniteError(s, Number.isFinite(read.loss![0]!) ? `the gradient (global norm ${read.gradNorm![0]}, applied ${read.applied![0]})` : `the loss (${read.loss![0]})`);
      }
      if (newParams) this.swapParams(newParams);
      const ms = performance.now() - t0;
      const memory = memorySnapshot();
      if (memory.gpuBytesInUse !== undefined) this.peakGpuBytes = Math.max(this.peakGpuBytes, memory.gpuBytesInUse);
      const rec: StepRecord = {
        step: s,
        loss: read.loss![0]!,
        lossOut: read.lossOut![0]!,
        lossLayer: read.lossLayer![0]!,
        lossCe: read.lossCe![0]!,
        tau,
        onPolicy,
        interventionRate: read.tokenRate![0]!,
        layerInterventionRate: read.layerRate ?? [],
        layerDivergence: read.layerDiv ?? [],
        lr,
        gradNorm: read.gradNorm![0]!,
        msPerStep: ms,
        tokensPerSec: (B * (P + R - 1)) / (ms / 1000),
        memory,
      };
      if (read.heat) rec.heatmap = { layers: this.model.config.nLayer, positions: R, values: read.heat };
      if (read.sampleTokens) {
        rec.sample = {
          prompt: batch.examples[0]!.prompt,
          response: this.tokenizer.decode(read.sampleTokens),
          intervened: read.sampleMask!,
          divergence: read.sampleDiv!,
        };
      }
      if (wantRank) {
        rec.effectiveRank = {};
        const r = this.model.lora!.config.rank;
        for (const key of Object.keys(read).filter((k) => k.startsWith('gramA:'))) {
          const path = key.slice('gramA:'.length);
          rec.effectiveRank[path] = effectiveRank(singularValuesFromGrams(read[key]!, read[`gramB:${path}`]!, r));
        }
      }
      if (!opts.dryRun) this.step += 1;
      return rec;
    } finally {
      tf.dispose(parts.map((p) => p.t));
      if (opts.dryRun) tf.dispose(kept);
      tf.dispose([batch.prompt, batch.response]);
      if (rollout) disposeRollout(rollout);
    }
  }

  /** Replaces trainable tensors by name and disposes the old ones. */
  private swapParams(next: Record<string, tf.Tensor>): void {
    for (const [name, t] of Object.entries(next)) {
      if (name in this.model.weights) {
        this.model.weights[name]!.dispose();
        this.model.weights[name] = t;
      } else {
        this.model.lora!.tensors[name]!.dispose();
        this.model.lora!.tensors[name] = t;
      }
    }
  }

  /**
   * Test-set quality: greedy generation with the KV cache (ROUGE-L on characters, exact match,
   * accuracy by position) and teacher-forced perplexity on the gold responses.
   */
  async evaluate(maxSamples = 4): Promise<EvalRecord> {
    const groups = this.data.testSet(Rng.derive(this.cfg.seedData, 'test').nextUint32());
    const unit = this.data.rougeUnit === 'words' ? words : chars;
    let nll = 0;
    let nTok = 0;
    const byLength: EvalRecord['byLength'] = [];
    const pairsAll: { candidate: string; reference: string }[] = [];
    const pairsBeyond: { candidate: string; reference: string }[] = [];
    const samples: EvalRecord['samples'] = [];
    let rougeSum = 0;
    let emSum = 0;
    let count = 0;
    for (const g of groups) {
      const batch = this.encode(g.examples);
      const [B, P] = batch.prompt.shape;
      const R = batch.response.shape[1];
      const out = generate(this.model, batch.prompt, R, { greedy: true, temperature: 1, topK: 0, topP: 1 }, 0);
      const nllT = tf.tidy(() => {
        const seq = tf.concat([batch.prompt, batch.response], 1);
        const T = P + R - 1;
        const logits = forward(this.model, tf.slice(seq, [0, 0], [B, T]) as tf.Tensor2D).logits;
        const nllAll = tokenNll(logits, tf.slice(seq, [0, 1], [B, T]));
        return tf.sum(tf.slice(nllAll, [0, P - 1], [B, R]));
      });
      const packed = tf.tidy(() => tf.concat([tf.reshape(tf.cast(out, 'float32'), [-1]), tf.reshape(nllT, [1])]));
      const v = await packed.data();
      tf.dispose([out, nllT, packed, batch.prompt, batch.response]);
      nll += v[B * R]!;
      nTok += B * R;
      let gr = 0;
      let ge = 0;
      g.examples.forEach((ex, i) => {
        const raw = this.tokenizer.decode(Array.from(v.subarray(i * R, (i + 1) * R)));
        const cut = this.data.eos === null ? -1 : raw.indexOf(this.data.eos);
        const candidate = cut >= 0 ? raw.slice(0, cut) : raw;
        const reference = this.data.eos === null ? ex.response : ex.response.slice(0, -1);
        const r = rougeL(unit(candidate), unit(reference));
        gr += r;
        ge += candidate === reference ? 1 : 0;
        const pair = { candidate: raw, reference: ex.response };
        pairsAll.push(pair);
        if (g.beyondTraining) pairsBeyond.push(pair);
        if (samples.length < maxSamples && i === 0) samples.push({ prompt: ex.prompt, output: candidate, gold: reference });
      });
      byLength.push({ length: g.length, rougeL: gr / B, exactMatch: ge / B, beyondTraining: g.beyondTraining });
      rougeSum += gr;
      emSum += ge;
      count += B;
    }
    return {
      step: this.step,
      rougeL: rougeSum / count,
      exactMatch: emSum / count,
      perplexity: Math.exp(nll / nTok),
      byLength,
      accuracyByPositionBeyond: accuracyByPosition(pairsBeyond),
      accuracyByPosition: accuracyByPosition(pairsAll),
      samples,
    };
  }

  /** Median ms per generated token: greedy, batch 1, KV cache, LoRA merged (no adapter latency). */
  async inferenceMsPerToken(runs = 10, warmup = 3): Promise<number> {
    const batch = this.encode(this.data.trainBatch(Rng.derive(this.cfg.seedData, 'latency'), 1));
    const R = Math.min(batch.response.shape[1], 32); // enough tokens for a per-token median
    let model = this.model;
    let merged: Record<string, tf.Tensor> | null = null;
    if (model.lora) {
      const m = mergeLora(model.config, model.weights, model.lora);
      merged = Object.fromEntries(Object.entries(m.weights).filter(([n, t]) => this.model.weights[n] !== t));
      model = { config: model.config, weights: m.weights, lora: m.adapters };
    }
    const times: number[] = [];
    try {
      for (let i = 0; i < warmup + runs; i++) {
        const t0 = performance.now();
        const out = generate(model, batch.prompt, R, { greedy: true, temperature: 1, topK: 0, topP: 1 }, 0);
        await out.data();
        out.dispose();
        if (i >= warmup) times.push((performance.now() - t0) / R);
      }
    } finally {
      tf.dispose([batch.prompt, batch.response, ...Object.values(merged ?? {})]);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  }

  /** Logical peak bytes of one training step on the longest training examples (nothing is updated). */
  async peakStepBytes(): Promise<number> {
    const examples = this.data.longestBatch(Rng.derive(this.cfg.seedData, 'peak'), this.cfg.batchSize);
    const info = await tf.profile(async () => {
      await this.trainStep({ dryRun: true, examples });
    });
    return info.peakBytes;
  }

  async finalMetrics(evalRecord?: EvalRecord): Promise<FinalRecord> {
    const ev = evalRecord ?? (await this.evaluate());
    const counts = this.paramCounts();
    const rec: FinalRecord = {
      ...ev,
      trainableParams: counts.trainable,
      totalParams: counts.total,
      teacherParams: counts.teacher,
      peakBytes: await this.peakStepBytes(),
      msPerToken: await this.inferenceMsPerToken(),
    };
    if (this.peakGpuBytes > 0) rec.peakGpuBytes = this.peakGpuBytes;
    return rec;
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
