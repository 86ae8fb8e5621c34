/**
 * npm run bench -- [--presets a,b] [--methods a,b] [--backend webgpu|wasm|cpu] [--kernels fused,reference] [--steps N] [--warmup K] [--json FILE] [--<knob> value ...]
 *
 * Times the engine's real training steps (the trainer every run uses, on a preset's data, base and
 * teacher) and prints one row per preset × method: median ms/step over the timed steps after
 * warm-up, what a GPU pays per step (compute dispatches, queue submits, GPU→CPU readbacks, counted
 * by wrapping the WebGPU API; zero on cpu/wasm), training tokens/s, rollout tokens/s (the
 * on-policy methods' rollout of both models timed alone) and memory. Speed is measured here,
 * never asserted in a test; quote figures with the adapter line this prints.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { METHODS } from '../src/config/knobs';
import { KERNEL_SETS, type KernelSet, setKernels } from '../src/model/fused';
import { PRESET_NAMES } from '../src/config/presets';
import { resolveConfig } from '../src/config/resolve';
import { disposeBatch, encodeBatch } from '../src/distill/batch';
import { StepDriver } from '../src/distill/driver';
import { logicalPeakBytes } from '../src/distill/measure';
import { Rng } from '../src/model/rng';
import { disposeRollout, stiRollout } from '../src/distill/rollout';
import { type PreparedRun, disposePrepared, prepareTrainer } from '../src/distill/run';
import { installGpuCounters, takeGpuCounts, type GpuCounts } from '../src/engine/gpu-counters';
import { type NodeBackend, describeNodeBackend, initNodeBackend } from '../src/engine/node';
import type { StepRecord } from '../src/protocol/records';
import { type CliOptions, type FlagSpec, backendFlag, parseCli, runScript, usage } from './lib/cli';
import { nodeHost } from './lib/host';

const BENCH_FLAGS = {
  presets: { kind: 'list', choices: PRESET_NAMES, default: 'tiny', help: 'presets to time' },
  methods: { kind: 'list', choices: METHODS, default: 'ft,kd-lora,sti-lora', help: 'methods to time' },
  backend: backendFlag('webgpu'),
  kernels: { kind: 'list', choices: KERNEL_SETS, default: 'fused,reference', help: 'kernel sets to time (rows for each)' },
  steps: { kind: 'int', min: 1, max: 1000, default: '5', help: 'timed steps per row (the median is reported)' },
  warmup: { kind: 'int', min: 0, max: 100, default: '2', help: 'untimed steps first (shader compilation, buffer pool)' },
  rollouts: { kind: 'int', min: 0, max: 100, default: '3', help: 'timed rollouts per on-policy row (0: skip)' },
  json: { kind: 'string', help: 'write the rows (and the adapter) to this file' },
} as const satisfies Record<string, FlagSpec>;

const CLI: CliOptions = { usage: 'npm run bench -- [--presets a,b] [--methods a,b] [--backend webgpu|wasm|cpu] [--kernels fused,reference] [--steps N] [--warmup K] [--json FILE] [--<knob> value ...]', knobs: true };

export interface BenchRow {
  preset: string;
  method: string;
  kernels: string;
  backend: string;
  batchSize: number;
  /** Steps of the timed ones that were student rollouts (the costly branch). */
  onPolicySteps: number;
  timedSteps: number;
  msPerStepMedian: number;
  msPerStepMin: number;
  dispatchesPerStep: number;
  submitsPerStep: number;
  readbacksPerStep: number;
  passesPerStep: number;
  newBuffersPerStep: number;
  trainTokensPerSec: number;
  /** Tokens both models generate per second in a rollout alone (null: the method has none). */
  rolloutTokensPerSec: number | null;
  /** Largest live GPU bytes after a timed step (webgpu only). */
  liveGpuBytesMax: number | null;
  /** Logical peak bytes within one step (tf.profile), as the paper table's memory column. */
  logicalPeakBytes: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const perStep = (counts: GpuCounts[], k: keyof GpuCounts) => median(counts.map((c) => c[k]));

async function rolloutTokensPerSec(run: PreparedRun, n: number): Promise<number | null> {
  const t = run.trainer;
  if (n === 0 || t.spec.signal !== 'onpolicy' || !t.teacher) return null;
  const batch = encodeBatch(t.tokenizer, t.data.trainBatch(Rng.derive(0, 'bench'), t.cfg.batchSize));
  const [B] = batch.prompt.shape;
  const R = batch.response.shape[1];
  const times: number[] = [];
  try {
    for (let i = 0; i < n + 1; i++) {
      const t0 = performance.now();
      const r = stiRollout(t.model, t.teacher, batch.prompt, {
        length: R,
        trigger: t.cfg.trigger,
        tau: t.tauAt(0) ?? Infinity,
        topK: t.cfg.topK,
        divergence: t.divergence,
        sampling: t.sampling,
        seed: i,
      });
      await r.tokens.data(); // one readback ends the timed work
      disposeRollout(r);
      if (i > 0) times.push(performance.now() - t0); // the first compiles shaders
    }
  } finally {
    disposeBatch(batch);
  }
  return (B * R) / (median(times) / 1000);
}

async function benchRow(preset: string, method: string, kernels: KernelSet, flags: { steps: number; warmup: number; rollouts: number; backend: string }, knobs: object): Promise<BenchRow> {
  const cfg = resolveConfig({ ...knobs, preset, method: method as (typeof METHODS)[number] });
  setKernels(kernels);
  const run = await prepareTrainer(cfg, nodeHost);
  try {
    const t = run.trainer;
    // The one step loop (driver.ts), without evaluations: warm-up steps, then the timed ones.
    const driver = new StepDriver(t, { steps: flags.warmup + flags.steps, evaluate: null });
    const recs: StepRecord[] = [];
    const counts: GpuCounts[] = [];
    while (!driver.finished) {
      takeGpuCounts();
      const { step } = await driver.next();
      const c = takeGpuCounts();
      if (driver.done <= flags.warmup) continue;
      recs.push(step);
      counts.push(c);
    }
    const ms = recs.map((r) => r.msPerStep);
    const live = recs.map((r) => r.memory.gpuBytesInUse).filter((x): x is number => x !== undefined);
    const longest = t.data.longestBatch(Rng.derive(cfg.seedData, 'peak'), cfg.batchSize);
    return {
      preset,
      method,
      kernels,
      backend: flags.backend,
      batchSize: cfg.batchSize,
      onPolicySteps: recs.filter((r) => r.onPolicy).length,
      timedSteps: recs.length,
      msPerStepMedian: median(ms),
      msPerStepMin: Math.min(...ms),
      dispatchesPerStep: perStep(counts, 'dispatches'),
      submitsPerStep: perStep(counts, 'submits'),
      readbacksPerStep: perStep(counts, 'readbacks'),
      passesPerStep: perStep(counts, 'passes'),
      newBuffersPerStep: perStep(counts, 'buffers'),
      trainTokensPerSec: median(recs.map((r) => r.tokensPerSec)),
      rolloutTokensPerSec: await rolloutTokensPerSec(run, flags.rollouts),
      liveGpuBytesMax: live.length ? Math.max(...live) : null,
      logicalPeakBytes: await logicalPeakBytes(() => t.trainStep({ dryRun: true, examples: longest })),
    };
  } finally {
    disposePrepared(run);
  }
}

const MB = (b: number | null) => (b === null ? '—' : (b / 2 ** 20).toFixed(1));
const int = (x: number) => Math.round(x).toLocaleString('en-US');

function table(rows: BenchRow[]): string {
  const head = ['preset', 'method', 'kernels', 'ms/step (median)', 'dispatches', 'submits', 'readbacks', 'passes', 'new buffers', 'train tok/s', 'rollout tok/s', 'live GPU MB', 'step peak MB'];
  const body = rows.map((r) => [
    r.preset,
    `${r.method}${r.onPolicySteps > 0 && r.onPolicySteps < r.timedSteps ? ` (${r.onPolicySteps}/${r.timedSteps} on-policy)` : ''}`,
    r.kernels,
    r.msPerStepMedian.toFixed(1),
    int(r.dispatchesPerStep),
    int(r.submitsPerStep),
    int(r.readbacksPerStep),
    int(r.passesPerStep),
    int(r.newBuffersPerStep),
    int(r.trainTokensPerSec),
    r.rolloutTokensPerSec === null ? '—' : int(r.rolloutTokensPerSec),
    MB(r.liveGpuBytesMax),
    MB(r.logicalPeakBytes),
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((b) => `| ${b.join(' | ')} |`)].join('\n');
}

async function main(): Promise<void> {
  const { flags, knobs } = parseCli(process.argv.slice(2), BENCH_FLAGS, CLI);
  await initNodeBackend(flags.backend as NodeBackend);
  const counting = installGpuCounters();
  const adapter = describeNodeBackend();
  console.log(`backend: ${adapter}`);
  if (flags.backend === 'webgpu') console.log(`WEBGPU_CPU_FORWARD ${tf.env().getBool('WEBGPU_CPU_FORWARD')}, WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE ${tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')}`);
  if (!counting) console.log('(no WebGPU here: dispatch, submit and readback counts are 0)');
  const rows: BenchRow[] = [];
  for (const preset of flags.presets) {
    for (const method of flags.methods) {
      for (const kernels of flags.kernels as KernelSet[]) {
        process.stderr.write(`${preset} ${method} ${kernels} …\n`);
        rows.push(await benchRow(preset, method, kernels, flags, knobs));
      }
    }
  }
  console.log(`\n${flags.warmup} warm-up + ${flags.steps} timed steps per row; ${new Date().toISOString()}\n`);
  console.log(table(rows));
  if (flags.json) {
    mkdirSync(dirname(flags.json) || '.', { recursive: true });
    writeFileSync(flags.json, JSON.stringify({ adapter, date: new Date().toISOString(), rows }, null, 1));
    console.log(`wrote ${flags.json}`);
  }
}

runScript(main, () => usage(BENCH_FLAGS, CLI));
