/**
 * npm run pretrain -- --config C --steps N --seed S [--backend cpu|wasm] [--batch B] [--lr X] [--out DIR] [--every K]
 * npm run pretrain -- <the same recipe> --verify DIR/C.loss.csv --stop-after 20   (or --record FILE: write them)
 *
 * Trains a base model on the State of the Union training speeches (character level, every
 * position predicted) with the engine's trainer, and writes DIR/C.safetensors (weights, with the
 * config and the tokenizer's alphabet inside), DIR/C.json (config, recipe, results) and
 * DIR/C.loss.csv (step, loss, lr, ms; validation loss every K steps). Run `npm run prepare-data`
 * first (start, build and test do it on their own). With --verify it re-runs the recipe's first
 * steps and compares their losses with a logged curve instead of writing anything.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { DataManifest } from '../src/data/corpus';
import { corpusSource } from '../src/data/source';
import { resolveConfig } from '../src/distill/run';
import { Trainer } from '../src/distill/trainer';
import { NODE_BACKENDS, type NodeBackend, initNodeBackend } from '../src/engine/node';
import { saveCheckpoint } from '../src/model/checkpoint';
import { flag } from './lib/cli';
import { checkOrRecord } from './lib/verify';
import { modelConfig } from '../src/model/config';
import { initWeights } from '../src/model/params';
import { generate } from '../src/model/sampling';
import { heldOutLoss } from '../src/distill/lm';

/**
 * Named base architectures. Pretraining windows are `window` characters (128 ≈ 25 words); the
 * position table is longer (`positions`) so fine-tuned tasks can be tested on longer sequences —
 * positions past the window are never trained here, which is part of what those tests measure.
 */
export const BASE_CONFIGS: Record<string, { nLayer: number; nHead: number; dModel: number; window: number; positions: number }> = {
  'speech-4x128': { nLayer: 4, nHead: 4, dModel: 128, window: 128, positions: 256 },
  'speech-2x64': { nLayer: 2, nHead: 2, dModel: 64, window: 64, positions: 128 },
};

function int(name: string, fallback?: number): number {
  const v = Number(flag(name, fallback === undefined ? undefined : String(fallback)));
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
  return v;
}

async function main(): Promise<void> {
  const name = flag('config');
  const arch = BASE_CONFIGS[name];
  if (!arch) throw new Error(`unknown --config ${name}; valid: ${Object.keys(BASE_CONFIGS).join(', ')}`);
  const steps = int('steps');
  const seed = int('seed', 1);
  const backend = flag('backend', 'wasm') as NodeBackend;
  if (!NODE_BACKENDS.includes(backend)) throw new Error(`--backend must be one of ${NODE_BACKENDS.join(', ')}`);
  const batch = int('batch', 8);
  const lr = Number(flag('lr', '3e-3'));
  const every = int('every', 100);
  const out = flag('out', 'public/models');
  const verify = process.argv.includes('--verify') || process.argv.includes('--record');
  const stopAfter = verify ? int('stop-after', 20) : steps;
  await initNodeBackend(backend);

  const dataDir = 'public/data';
  const manifest = JSON.parse(readFileSync(join(dataDir, 'manifest.json'), 'utf8')) as DataManifest;
  const train = readFileSync(join(dataDir, 'sotu-train.txt'), 'utf8');
  const val = readFileSync(join(dataDir, 'sotu-val.txt'), 'utf8');
  const test = readFileSync(join(dataDir, 'sotu-test.txt'), 'utf8');
  const data = corpusSource({ train, heldOut: val, alphabet: manifest.alphabet, mode: 'lm', window: arch.window, testExamples: 64 });
  const cfgModel = modelConfig({ vocabSize: data.tokenizer.vocabSize, nLayer: arch.nLayer, nHead: arch.nHead, dModel: arch.dModel, nPositions: arch.positions, contextLength: arch.positions });
  const init = { config: cfgModel, weights: initWeights(cfgModel, seed), lora: null };
  const cfg = resolveConfig({ method: 'ft', steps, lr, batchSize: batch, seedData: seed, warmupSteps: Math.min(100, Math.floor(steps / 10)), heatmapEvery: 0, rankEvery: 0 });
  const trainer = await Trainer.create(cfg, data, init, null);
  tf.dispose(Object.values(init.weights));

  if (verify) {
    const same = await checkOrRecord(trainer, process.argv, stopAfter, backend);
    trainer.dispose();
    if (!same) process.exit(1);
    return;
  }
  mkdirSync(out, { recursive: true });
  const csv = ['step,loss,lr,ms,val_loss'];
  const t0 = Date.now();
  let last = { loss: NaN, val: NaN };
  for (let s = 0; s < steps; s++) {
    const r = await trainer.trainStep();
    let valLoss = '';
    if ((every > 0 && (s + 1) % every === 0) || s === steps - 1) {
      last.val = await heldOutLoss(trainer.model, val, manifest.alphabet, arch.window, 64, 11);
      valLoss = last.val.toFixed(5);
    }
    last.loss = r.loss;
    csv.push(`${s},${r.loss.toFixed(6)},${r.lr.toExponential(4)},${r.msPerStep.toFixed(0)},${valLoss}`);
    if (s % 10 === 0 || valLoss) {
      process.stderr.write(`step ${s + 1}/${steps}  loss ${r.loss.toFixed(4)}${valLoss ? `  val ${valLoss}` : ''}  ${r.msPerStep.toFixed(0)} ms/step\n`);
      writeFileSync(join(out, `${name}.loss.csv`), csv.join('\n') + '\n');
    }
  }
  const wallS = (Date.now() - t0) / 1000;
  const model = trainer.release();
  const testLoss = await heldOutLoss(model, test, manifest.alphabet, arch.window, 64, 12);
  // A real greedy continuation of a held-out speech prompt.
  const prompt = test.slice(5000, 5000 + Math.floor(arch.window / 2));
  const p = tf.tensor2d([data.tokenizer.encode(prompt)], undefined, 'int32');
  const gen = generate(model, p, arch.window - prompt.length, { greedy: true, temperature: 1, topK: 0, topP: 1 }, 0);
  const continuation = data.tokenizer.decode(Array.from(await gen.data()));
  tf.dispose([p, gen]);

  const recipe = { command: `npm run pretrain -- --config ${name} --steps ${steps} --seed ${seed} --backend ${backend} --batch ${batch} --lr ${lr} --every ${every}`, config: name, steps, seed, backend, batch, lr, window: arch.window, data: manifest.sources.sotu, trainFile: 'sotu-train.txt', trainSha256: manifest.files['sotu-train.txt']!.sha256 };
  const saved = await saveCheckpoint(model, { recipe: JSON.stringify(recipe) }, { alphabet: manifest.alphabet });
  writeFileSync(join(out, `${name}.safetensors`), saved.safetensors);
  const result = {
    ...JSON.parse(saved.configJson),
    recipe,
    results: {
      wallSeconds: Math.round(wallS),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, tfjs ${backend}`,
      finalTrainLoss: last.loss,
      valLoss: last.val,
      testLoss,
      sha256: createHash('sha256').update(saved.safetensors).digest('hex'),
      prompt,
      greedyContinuation: continuation,
    },
  };
  writeFileSync(join(out, `${name}.json`), JSON.stringify(result, null, 1) + '\n');
  writeFileSync(join(out, `${name}.loss.csv`), csv.join('\n') + '\n');
  console.log(`wrote ${join(out, name)}.{safetensors,json,loss.csv}: ${steps} steps in ${wallS.toFixed(0)} s; train ${last.loss.toFixed(4)}, val ${last.val.toFixed(4)}, test ${testLoss.toFixed(4)} nats/char`);
  console.log(`prompt:       ${JSON.stringify(prompt)}\ncontinuation: ${JSON.stringify(continuation)}`);
}

main().catch((e) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
