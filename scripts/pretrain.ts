/**
 * npm run pretrain -- --config C --steps N --seed S [--backend cpu|wasm|webgpu] [--batch B] [--lr X] [--out DIR] [--every K]
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
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { PRETRAINED_BASES } from '../src/config/presets';
import { resolveConfig } from '../src/config/resolve';
import { corpusSource } from '../src/data/source';
import { StepDriver } from '../src/distill/driver';
import { heldOutLoss } from '../src/distill/lm';
import { Trainer } from '../src/distill/trainer';
import { readManifest } from '../src/distill/host';
import { type NodeBackend, initNodeBackend } from '../src/engine/node';
import { saveCheckpoint } from '../src/model/checkpoint';
import { modelConfig } from '../src/model/config';
import { initWeights } from '../src/model/params';
import { generate } from '../src/model/sampling';
import { type CliOptions, parseCli, runScript } from './lib/cli';
import { PRETRAIN_FLAGS } from './lib/flags';
import { nodeFiles } from './lib/host';
import { lossCheck } from './lib/verify';

const CLI: CliOptions = { usage: 'npm run pretrain -- --config C --steps N --seed S [--backend cpu|wasm|webgpu] [--batch B] [--lr X] [--out DIR] [--every K] [--verify CSV | --record CSV] [--stop-after N]' };

async function main(): Promise<void> {
  const { flags } = parseCli(process.argv.slice(2), PRETRAIN_FLAGS, CLI);
  const { config: name, steps, seed, backend, batch, lr, every, out } = flags;
  const arch = PRETRAINED_BASES[name]!;
  await initNodeBackend(backend as NodeBackend);

  const manifest = await readManifest(nodeFiles);
  const text = async (split: string) => (await nodeFiles.text(`data/sotu-${split}.txt`)) ?? Promise.reject(new Error(`${nodeFiles.missing(`data/sotu-${split}.txt`)}: run npm run prepare-data`));
  const [train, val, test] = [await text('train'), await text('val'), await text('test')];
  const data = corpusSource({ train, heldOut: val, alphabet: manifest.alphabet, mode: 'lm', window: arch.window, testExamples: 64, testSeed: 11 });
  const cfgModel = modelConfig({ vocabSize: data.tokenizer.vocabSize, nLayer: arch.nLayer, nHead: arch.nHead, dModel: arch.dModel, nPositions: arch.positions, contextLength: arch.positions });
  const init = { config: cfgModel, weights: initWeights(cfgModel, seed), lora: null };
  const cfg = resolveConfig({ method: 'ft', steps, lr, batchSize: batch, seedData: seed, warmupSteps: Math.min(100, Math.floor(steps / 10)), evalEvery: every, heatmapEvery: 0, rankEvery: 0 });
  const trainer = await Trainer.create(cfg, data, init, null);
  tf.dispose(Object.values(init.weights));

  const check = lossCheck(flags);
  if (check) {
    await new StepDriver(trainer, { evaluate: null }).run({ onStep: (r) => check.onStep(r), shouldStop: (done) => done >= check.steps });
    trainer.dispose();
    if (!check.finish()) process.exit(1);
    return;
  }
  mkdirSync(out, { recursive: true });
  const csv = ['step,loss,lr,ms,val_loss'];
  const t0 = Date.now();
  const last = { loss: NaN, val: NaN };
  // The validation loss on fixed held-out windows, every `every` steps and after the last.
  const driver = new StepDriver(trainer, { evaluate: (t) => heldOutLoss(t.model, val, manifest.alphabet, arch.window, 64, 11) });
  const save = () => writeFileSync(join(out, `${name}.loss.csv`), csv.join('\n') + '\n');
  await driver.run(
    {
      onStep: (r, done) => {
        last.loss = r.loss;
        csv.push(`${r.step},${r.loss.toFixed(6)},${r.lr.toExponential(4)},${r.msPerStep.toFixed(0)},`);
        if (r.step % 10 === 0) process.stderr.write(`step ${done}/${steps}  loss ${r.loss.toFixed(4)}  ${r.msPerStep.toFixed(0)} ms/step\n`);
      },
      onEval: (v) => {
        last.val = v;
        csv[csv.length - 1] += v.toFixed(5); // the val_loss column of the step just done
        process.stderr.write(`step ${driver.done}/${steps}  val ${v.toFixed(5)}\n`);
        save();
      },
    },
    { start: false },
  );
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

runScript(main, CLI);
