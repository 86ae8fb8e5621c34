/**
 * One side of the side-by-side with genai-nanogpt (`npm run bench -- --compare nanogpt` runs this
 * twice, each implementation in a fresh process: both bundle tfjs, whose kernel registry is
 * global, so they cannot share one). Same adapter (Dawn, found the same way: src/engine/dawn.ts),
 * same configuration: 4 layers, d = 128, 4 heads, MLP 512, vocabulary 92, B = 16, T = 128 (ours:
 * 127 predicted positions of a 128-character window), no dropout, f32, AdamW with clipping.
 *   train  a plain GPT step (forward, cross-entropy, backward, AdamW) and one readback of its
 *          loss: median ms over the timed steps after warm-up, dispatches, submits, readbacks;
 *   gen    sampled generation (temperature 1) of one sequence after a 64-character prompt with
 *          each library's own generation call and KV cache: tokens/s, dispatches per token.
 * Prints one line `COMPARE_ROW {json}` for the caller.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { installGpuCounters, takeGpuCounts } from '../src/engine/gpu-counters';
import type { CompareRow } from '../src/protocol/bench';

// Nothing here may import our tfjs before the side is chosen (scripts/lib/cli.ts does, through the
// engine): the flags are read with Node's own parser, checked by bench.ts, which passes them on.
const USAGE = 'tsx scripts/bench-compare.ts --impl ours|nanogpt [--steps N] [--warmup K] [--gen-tokens N] [--gen-runs K] (run by npm run bench -- --compare nanogpt)';

const B = 16;
const T = 128;
const PROMPT = 64;
const CONFIG = { vocabSize: 92, nLayer: 4, nHead: 4, dModel: 128, dFF: 512 };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Timed {
  ms: number;
  dispatches: number;
  submits: number;
  readbacks: number;
}

/** Runs `work` warmup + n times; the median time and the counts of the median run. */
async function timeRuns(n: number, warmup: number, work: (i: number) => Promise<void>): Promise<Timed> {
  const runs: Timed[] = [];
  for (let i = 0; i < warmup + n; i++) {
    takeGpuCounts();
    const t0 = performance.now();
    await work(i);
    const ms = performance.now() - t0;
    const c = takeGpuCounts();
    if (i >= warmup) runs.push({ ms, dispatches: c.dispatches, submits: c.submits, readbacks: c.readbacks });
  }
  const m = median(runs.map((r) => r.ms));
  return runs.find((r) => r.ms === m)!;
}

type Flags = { steps: number; warmup: number; 'gen-tokens': number; 'gen-runs': number };

async function ours(f: Flags): Promise<CompareRow> {
  const tf = await import('@tensorflow/tfjs-core');
  const { initNodeBackend, describeNodeBackend } = await import('../src/engine/node');
  const { resolveConfig } = await import('../src/config/resolve');
  const { prepareTrainer, disposePrepared } = await import('../src/distill/run');
  const { StepDriver } = await import('../src/distill/driver');
  const { generate } = await import('../src/model/sampling');
  const { encodeBatch, disposeBatch } = await import('../src/distill/batch');
  const { Rng } = await import('../src/model/rng');
  await initNodeBackend('webgpu');
  installGpuCounters();
  // The engine's own plain step: `ft` (cross-entropy, every weight trained) on the speech-pretrained 4 × 128 base.
  const host = await import('./lib/host');
  const cfg = resolveConfig({ preset: 'moby-dick', method: 'ft', batchSize: B, evalEvery: 0, heatmapEvery: 0, rankEvery: 0 });
  const run = await prepareTrainer(cfg, host.nodeHost);
  try {
    const m = run.trainer.model.config;
    for (const [k, v] of Object.entries(CONFIG)) if (m[k as keyof typeof m] !== v) throw new Error(`bench-compare: the base has ${k} = ${m[k as keyof typeof m]}, not ${v}`);
    const driver = new StepDriver(run.trainer, { steps: f.warmup + f.steps, evaluate: null });
    let tokensPerStep = 0;
    const train = await timeRuns(f.steps, f.warmup, async () => {
      const { step } = await driver.next();
      tokensPerStep = Math.round((step.tokensPerSec * step.msPerStep) / 1000);
    });
    const batch = encodeBatch(run.trainer.tokenizer, run.trainer.data.trainBatch(Rng.derive(0, 'gen'), 1)); // a 64-character prompt of Melville
    const prompt = tf.slice(batch.prompt, [0, 0], [1, PROMPT]) as import('@tensorflow/tfjs-core').Tensor2D;
    const sampling = { greedy: false, temperature: 1, topK: 0, topP: 1 };
    const gen = await timeRuns(f['gen-runs'], 1, async (i) => {
      const out = generate(run.trainer.model, prompt, f['gen-tokens'], sampling, i);
      await out.data();
      out.dispose();
    });
    prompt.dispose();
    disposeBatch(batch);
    const n = f['gen-tokens'];
    return {
      impl: 'kd-playground (fused)',
      adapter: describeNodeBackend(),
      setup: `engine ft step on moby-dick windows: B = ${B}, ${tokensPerStep / B} positions; learned positions, LayerNorm`,
      train: { msPerStep: train.ms, tokensPerSec: (tokensPerStep * 1000) / train.ms, dispatches: train.dispatches, submits: train.submits, readbacks: train.readbacks, tokensPerStep },
      gen: { tokensPerSec: (n * 1000) / gen.ms, dispatchesPerToken: gen.dispatches / n, readbacksPerToken: gen.readbacks / n, tokens: n },
    };
  } finally {
    disposePrepared(run);
  }
}

/** TeachableLLM.create starts a warm-up pass of its own: wait until it is over, so that it is not timed. */
async function warmedUp(llm: { status: string }): Promise<void> {
  for (let i = 0; llm.status === 'warmup'; i++) {
    if (i > 6000) throw new Error('bench-compare: genai-nanogpt did not finish its warm-up in 10 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  if (llm.status === 'error') throw new Error('bench-compare: genai-nanogpt failed its warm-up');
}

async function nanogpt(f: Flags): Promise<CompareRow> {
  const { installDawnGpu, describeDawn } = await import('../src/engine/dawn');
  const gpu = await installDawnGpu();
  installGpuCounters();
  // Its dist is a browser bundle: with WorkerGlobalScope defined its tfjs takes the browser platform in Node.
  (globalThis as Record<string, unknown>).WorkerGlobalScope ??= class {};
  const lib = await import('@genai-fi/nanogpt');
  // Its trainer and generator classes are not exported by name: read from its dist beside main.js.
  const dist = dirname(fileURLToPath(import.meta.resolve('@genai-fi/nanogpt')));
  const { default: PreTrainer } = await import(pathToFileURL(join(dist, 'training/PreTrainer.js')).href);
  const { default: Generator } = await import(pathToFileURL(join(dist, 'inference/Generator.js')).href);
  await lib.TeachableLLM.selectBackend('webgpu');
  const engine = (globalThis as { _tfengine?: { makeTensor(v: Int32Array, s: number[], d: string): { dispose(): void } } })._tfengine;
  if (!engine) throw new Error('bench-compare: genai-nanogpt set up no tfjs engine');
  const base = { vocabSize: CONFIG.vocabSize, blockSize: T, nLayer: CONFIG.nLayer, nHead: CONFIG.nHead, nEmbed: CONFIG.dModel, mlpFactor: CONFIG.dFF / CONFIG.dModel };
  const llm = lib.TeachableLLM.create('char', { modelType: 'GenAI_NanoGPT_v1', ...base, useRope: false });
  const trainer = new PreTrainer(llm.model, llm.tokeniser, { learningRate: 1e-3, warmupSteps: 0, weightDecay: 0.01, clipNorm: 1 });
  trainer.configure({ method: { type: 'pretraining' }, batchSize: B, mixedPrecision: false, dropout: 0 });
  trainer.prepareToTrain({ method: { type: 'pretraining' }, batchSize: B });
  await warmedUp(llm);
  const state = trainer.lastState;
  const ids = (seed: number) => {
    const a = new Int32Array(B * T);
    let s = seed >>> 0;
    for (let i = 0; i < a.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      a[i] = (s >>> 8) % CONFIG.vocabSize;
    }
    return engine.makeTensor(a, [B, T], 'int32');
  };
  const train = await timeRuns(f.steps, f.warmup, async (i) => {
    const batch = { xs: ids(2 * i + 1), ys: ids(2 * i + 2) };
    const loss = trainer.trainStep(state, batch) as { data(): Promise<unknown>; dispose(): void };
    await loss.data(); // one readback, as ours
    loss.dispose();
    batch.xs.dispose();
    batch.ys.dispose();
  });
  trainer.dispose();
  llm.dispose();
  // Its KV cache is used only with rotary positions (or its v2 model): generation is measured on that variant.
  const genLlm = lib.TeachableLLM.create('char', { modelType: 'GenAI_NanoGPT_v1', ...base, useRope: true });
  await warmedUp(genLlm);
  const prompt = 'Call me Ishmael. Some years ago--never mind how long precisely--hav'.slice(0, PROMPT);
  let produced = 0;
  const gen = await timeRuns(f['gen-runs'], 1, async () => {
    const g = new Generator(genLlm.model, genLlm.tokeniser);
    await g.generate({ input: prompt, maxLength: f['gen-tokens'], nonConversational: true, temperature: 1, allowSpecial: true });
    produced = g.getRawOutput().length;
    g.dispose();
  });
  genLlm.dispose();
  return {
    impl: 'genai-nanogpt 1.3.0',
    adapter: describeDawn(gpu),
    setup: `PreTrainer.trainStep: B = ${B}, ${T} positions; learned positions (generation: rotary, which its KV cache needs), RMSNorm`,
    train: { msPerStep: train.ms, tokensPerSec: (B * T * 1000) / train.ms, dispatches: train.dispatches, submits: train.submits, readbacks: train.readbacks, tokensPerStep: B * T },
    gen: { tokensPerSec: (produced * 1000) / gen.ms, dispatchesPerToken: gen.dispatches / produced, readbacksPerToken: gen.readbacks / produced, tokens: produced },
  };
}

function readFlags(): Flags & { impl: string } {
  const { values } = parseArgs({ options: { impl: { type: 'string' }, steps: { type: 'string', default: '3' }, warmup: { type: 'string', default: '1' }, 'gen-tokens': { type: 'string', default: '32' }, 'gen-runs': { type: 'string', default: '2' } } });
  const int = (name: string, v: string | undefined, lo: number, hi: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`--${name} must be an integer in ${lo}…${hi}, got ${JSON.stringify(v)}\n${USAGE}`);
    return n;
  };
  if (values.impl !== 'ours' && values.impl !== 'nanogpt') throw new Error(`--impl must be ours or nanogpt\n${USAGE}`);
  return { impl: values.impl, steps: int('steps', values.steps, 1, 100), warmup: int('warmup', values.warmup, 0, 20), 'gen-tokens': int('gen-tokens', values['gen-tokens'], 1, 64), 'gen-runs': int('gen-runs', values['gen-runs'], 1, 20) };
}

async function main(): Promise<void> {
  const flags = readFlags();
  const row = flags.impl === 'ours' ? await ours(flags) : await nanogpt(flags);
  console.log(`COMPARE_ROW ${JSON.stringify(row)}`);
}

main().then(
  () => process.exit(0), // Dawn keeps the process alive while navigator.gpu is referenced
  (e: unknown) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
