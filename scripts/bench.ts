/**
 * npm run bench -- [--presets a,b] [--methods a,b] [--backend webgpu|wasm|cpu] [--kernels fused,reference] [--steps N] [--warmup K] [--json FILE] [--<knob> value ...]
 * npm run bench -- --attention BxTxHxhd [--kernels fused,reference] [--steps N] [--warmup K]
 * npm run bench -- --compare nanogpt [--steps N] [--warmup K] [--gen-tokens N] [--json FILE]
 *
 * Times the engine's real training steps (the trainer every run uses, on a preset's data, base and
 * teacher) and prints one row per preset × method: median ms/step over the timed steps after
 * warm-up, what a GPU pays per step (compute dispatches, queue submits, GPU→CPU readbacks, counted
 * by wrapping the WebGPU API; zero on cpu/wasm), training tokens/s, rollout tokens/s (the
 * on-policy methods' rollout of both models timed alone) and memory. Speed is measured here,
 * never asserted in a test; quote figures with the adapter line this prints.
 *
 * With --attention 1x1024x12x64: causal self-attention alone at GPT-2 small's shape, forward +
 * backward, the fused programs against the reference op graph (median ms per pass).
 *
 * With --compare nanogpt: a plain GPT training step and generation with a KV cache of ours and of
 * @genai-fi/nanogpt at one configuration, each in its own process on the same adapter
 * (scripts/bench-compare.ts), side by side.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type AttentionBenchRow, attentionBench, attentionTable, parseAttentionShape } from '../src/engine/attention-bench';
import { benchRow } from '../src/engine/bench';
import type { KernelSet } from '../src/model/fused';
import { installGpuCounters } from '../src/engine/gpu-counters';
import { type NodeBackend, describeNodeBackend, initNodeBackend } from '../src/engine/node';
import type { BenchRow } from '../src/protocol/bench';
import { benchTable, compareTable } from '../src/report/bench-table';
import type { CompareRow } from '../src/protocol/bench';
import { type CliOptions, parseCli, runScript } from './lib/cli';
import { BENCH_FLAGS, benchGrid } from './lib/flags';
import { nodeHost } from './lib/host';

const CLI: CliOptions = { usage: 'npm run bench -- [--presets a,b] [--methods a,b] [--backend webgpu|wasm|cpu] [--kernels fused,reference] [--steps N] [--warmup K] [--json FILE] [--<knob> value ...]', knobs: true };

/** Runs scripts/bench-compare.ts for one implementation in a fresh process (each bundles its own tfjs) and reads its row. */
function compareSide(impl: string, args: string[]): CompareRow {
  process.stderr.write(`${impl} …\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench-compare.ts', '--impl', impl, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('COMPARE_ROW '));
  if (r.status !== 0 || !line) throw new Error(`bench --compare: the ${impl} side failed (exit ${r.status}):\n${r.stdout}`);
  return JSON.parse(line.slice('COMPARE_ROW '.length)) as CompareRow;
}

async function compare(flags: { steps: number; warmup: number; 'gen-tokens': number; json?: string }): Promise<void> {
  const args = ['--steps', String(flags.steps), '--warmup', String(flags.warmup), '--gen-tokens', String(flags['gen-tokens'])];
  const rows = [compareSide('ours', args), compareSide('nanogpt', args)];
  for (const r of rows) console.log(`${r.impl}: ${r.adapter}\n  ${r.setup}`);
  console.log(`\n${flags.warmup} warm-up + ${flags.steps} timed steps each, 1 + 2 generations of ${flags['gen-tokens']} tokens; ${new Date().toISOString()}\n`);
  console.log(compareTable(rows));
  if (flags.json) {
    mkdirSync(dirname(flags.json) || '.', { recursive: true });
    writeFileSync(flags.json, JSON.stringify({ date: new Date().toISOString(), rows }, null, 1));
    console.log(`wrote ${flags.json}`);
  }
}

/** --attention BxTxHxhd: the attention layer alone, fused against the reference, on this adapter. */
async function attention(text: string, kernels: KernelSet[], flags: { backend: string; steps: number; warmup: number; json?: string }): Promise<void> {
  const shape = parseAttentionShape(text);
  if (flags.backend !== 'webgpu' && kernels.includes('fused')) throw new Error(`the fused attention programs run on webgpu only: pass --backend webgpu, or --kernels reference on ${flags.backend}`);
  const rows: AttentionBenchRow[] = [];
  for (const k of kernels) {
    process.stderr.write(`attention ${text} ${k} …\n`);
    rows.push(await attentionBench(shape, k, flags.steps, flags.warmup));
  }
  console.log(`\n${flags.warmup} warm-up + ${flags.steps} timed forward + backward passes per row; ${new Date().toISOString()}\n`);
  console.log(attentionTable(rows));
  if (flags.json) {
    mkdirSync(dirname(flags.json) || '.', { recursive: true });
    writeFileSync(flags.json, JSON.stringify({ adapter: describeNodeBackend(), date: new Date().toISOString(), rows }, null, 1));
    console.log(`wrote ${flags.json}`);
  }
}

async function main(): Promise<void> {
  const { flags, knobs, given } = parseCli(process.argv.slice(2), BENCH_FLAGS, CLI);
  if (flags.compare) {
    if (flags.backend !== 'webgpu') throw new Error('bench --compare runs on webgpu only (genai-nanogpt is a WebGPU library)');
    return compare(flags);
  }
  await initNodeBackend(flags.backend as NodeBackend);
  if (flags['submit-batch'] !== undefined) tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', flags['submit-batch']);
  const counting = installGpuCounters();
  const adapter = describeNodeBackend();
  console.log(`backend: ${adapter}`);
  if (flags.backend === 'webgpu') console.log(`WEBGPU_CPU_FORWARD ${tf.env().getBool('WEBGPU_CPU_FORWARD')}, WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE ${tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')}`);
  if (!counting) console.log('(no WebGPU here: dispatch, submit and readback counts are 0)');
  if (flags.attention !== undefined) return attention(flags.attention, flags.kernels as KernelSet[], flags);
  const grid = benchGrid(flags, knobs, given);
  const rows: BenchRow[] = [];
  for (const preset of grid.presets) {
    for (const method of grid.methods) {
      for (const kernels of flags.kernels) {
        process.stderr.write(`${preset} ${method} ${kernels} …\n`);
        rows.push(await benchRow({ preset, method, kernels, steps: flags.steps, warmup: flags.warmup, rollouts: flags.rollouts }, nodeHost, grid.knobs));
      }
    }
  }
  console.log(`\n${flags.warmup} warm-up + ${flags.steps} timed steps per row; ${new Date().toISOString()}\n`);
  console.log(benchTable(rows));
  if (flags.json) {
    mkdirSync(dirname(flags.json) || '.', { recursive: true });
    writeFileSync(flags.json, JSON.stringify({ adapter, date: new Date().toISOString(), rows }, null, 1));
    console.log(`wrote ${flags.json}`);
  }
}

runScript(main, CLI);
