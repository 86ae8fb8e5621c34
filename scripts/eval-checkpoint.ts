/**
 * npm run eval-checkpoint -- public/models/NAME [--backend cpu|wasm|webgpu] [--preset P]
 * npm run eval-checkpoint -- HF_MODEL_DIR --text FILE [--adapter PEFT_DIR] [--backend cpu|wasm|webgpu]
 *
 * Loads a shipped checkpoint and checks its sha256 against NAME.json. A pretrained base: measures
 * its validation loss on the same fixed held-out windows its recipe used. A preset's model (made by
 * npm run finetune): measures perplexity and exact match on the preset's test set, as finetune did.
 * Compares with the recorded figure; exit 1 when they differ by more than 1%.
 *
 * With --preset P it instead evaluates any checkpoint on preset P's test set (drawn as P's teacher
 * recipe draws it), e.g. the speech base on Moby Dick, to see what fine-tuning gained.
 *
 * A Hugging Face GPT-2 folder (config.json, model.safetensors, tokenizer.json) with --text FILE:
 * prints `mean NLL <nats, 6 decimals> over <N> tokens` for the file's text, tokenised by the
 * model's tokenizer, in windows of the model's context, every token after the first predicted.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getPreset, teacherRecipeOf } from '../src/config/presets';
import { taskSource } from '../src/data/source';
import { evaluateModel } from '../src/distill/evaluate';
import { readManifest } from '../src/distill/host';
import * as tf from '@tensorflow/tfjs-core';
import { readHfFolder } from '../src/distill/hf';
import { applyPeftAdapter } from '../src/model/hf-peft';
import { type GpuLimits, gpuFit } from '../src/model/memory';
import { countParams } from '../src/model/params';
import { heldOutLoss, sequenceNll } from '../src/distill/lm';
import { KnobError } from '../src/config/knobs';
import { disposeModel } from '../src/distill/models';
import { type NodeBackend, initNodeBackend } from '../src/engine/node';
import { readCheckpoint } from '../src/model/checkpoint';
import type { Transformer } from '../src/model/transformer';
import type { DataSource } from '../src/data/source';
import type { EvalRecord } from '../src/protocol/records';
import { type CliOptions, parseCli, runScript } from './lib/cli';
import { EVAL_CHECKPOINT_FLAGS } from './lib/flags';
import { nodeFiles, nodeHost } from './lib/host';
import { readRecordedCheckpoint } from './lib/verify';

const CLI: CliOptions = {
  usage: 'npm run eval-checkpoint -- public/models/NAME [--backend cpu|wasm|webgpu] [--preset P]  |  npm run eval-checkpoint -- HF_MODEL_DIR --text FILE [--adapter PEFT_DIR]',
  positional: { name: 'the checkpoint (e.g. public/models/speech-4x128) or a Hugging Face model folder', required: true },
};

/** A Hugging Face folder: the mean NLL per token of a text. */
async function hfText(dir: string, textFile: string, adapterDir: string | undefined): Promise<void> {
  const names = readdirSync(dir);
  const { model: base, tokenizer } = await readHfFolder(dir, { names, read: async (n) => (names.includes(n) ? new Uint8Array(readFileSync(join(dir, n))) : null) });
  // On webgpu, say plainly when a tensor of the model (or of a window's logits) exceeds what the GPU binds.
  const device = (tf.backend() as unknown as { device?: { limits: GpuLimits } }).device;
  if (device) {
    const fit = gpuFit(base.config, { batch: 1, seq: base.config.contextLength, trainAll: false }, device.limits);
    if (fit.problems.length > 0) {
      disposeModel(base);
      throw new Error(`${dir} does not fit this GPU: ${fit.problems.join('; ')}`);
    }
  }
  console.log(`${dir}: ${base.config.nLayer} layers × ${base.config.dModel}, ${(countParams(base.weights) / 1e6).toFixed(2)} M parameters, vocabulary ${base.config.vocabSize}, context ${base.config.contextLength}`);
  let model = base;
  if (adapterDir) {
    const file = (n: string) => {
      if (!existsSync(join(adapterDir, n))) throw new Error(`${adapterDir} has no ${n} (a PEFT adapter folder has adapter_config.json and adapter_model.safetensors)`);
      return readFileSync(join(adapterDir, n));
    };
    try {
      model = applyPeftAdapter(base, file('adapter_config.json').toString('utf8'), new Uint8Array(file('adapter_model.safetensors')));
    } catch (e) {
      disposeModel(base);
      throw e;
    }
  }
  try {
    const ids = tokenizer.encode(readFileSync(textFile, 'utf8'));
    if (ids.length < 2) throw new Error(`${textFile} has ${ids.length} token(s): at least 2 are needed to predict one`);
    const { nll, tokens } = await sequenceNll(model, ids);
    console.log(`mean NLL ${nll.toFixed(6)} over ${tokens} tokens`);
  } finally {
    tf.dispose([...new Set([...Object.values(base.weights), ...Object.values(model.weights)])]);
  }
}

async function main(): Promise<void> {
  const { flags, positional } = parseCli(process.argv.slice(2), EVAL_CHECKPOINT_FLAGS, CLI);
  const backend = flags.backend;
  await initNodeBackend(backend as NodeBackend);
  const target = positional[0]!;
  if (existsSync(target) && statSync(target).isDirectory()) {
    if (!flags.text) throw new KnobError(`${target} is a folder: say which text to score with --text FILE`);
    return hfText(target, flags.text, flags.adapter);
  }
  if (flags.text || flags.adapter) throw new KnobError('--text and --adapter score a Hugging Face model folder (config.json, model.safetensors, tokenizer.json); give the folder');
  const stem = positional[0]!.replace(/\.(safetensors|json)$/, '');
  if (!existsSync(`${stem}.safetensors`)) throw new KnobError(`the checkpoint: neither a folder ${target} nor a file ${stem}.safetensors exists`);
  const { bytes, info } = readRecordedCheckpoint(stem);
  const { model, tokenizer } = readCheckpoint(bytes);
  if (flags.preset) {
    const preset = getPreset(flags.preset);
    const ev = await evaluateOn(await nodeHost.data(preset), model);
    console.log(`${stem} on the test set of ${preset.name}: perplexity ${ev.perplexity.toFixed(4)}, ROUGE-L ${ev.rougeL.toFixed(4)}, exact match ${(100 * ev.exactMatch).toFixed(1)}% (${backend})`);
    for (const b of preset.data.kind === 'task' ? ev.byLength : []) console.log(`  length ${b.length}${b.beyondTraining ? ' (beyond training)' : ''}: exact match ${(100 * b.exactMatch).toFixed(1)}%, ROUGE-L ${b.rougeL.toFixed(3)}`);
    return;
  }
  if (info.recipe.preset) return presetModel(stem, info, model, backend);
  const manifest = await readManifest(nodeFiles);
  if (tokenizer?.alphabet !== manifest.alphabet) throw new Error("the checkpoint's alphabet differs from the prepared data's");
  const val = (await nodeFiles.text('data/sotu-val.txt')) ?? '';
  const t0 = Date.now();
  const loss = await heldOutLoss(model, val, manifest.alphabet, info.recipe.window, 64, 11);
  const rel = Math.abs(loss - info.results.valLoss) / info.results.valLoss;
  console.log(`${stem}: sha256 ok; validation loss ${loss.toFixed(5)} nats/char (recorded ${Number(info.results.valLoss).toFixed(5)}, difference ${(100 * rel).toFixed(3)}%) on ${backend} in ${Date.now() - t0} ms`);
  if (rel > 0.01) process.exit(1);
}

/** A model's evaluation on a preset's (fixed) test set; frees the model. */
async function evaluateOn(data: DataSource, model: Transformer): Promise<EvalRecord> {
  try {
    return await evaluateModel(model, data, 0);
  } finally {
    disposeModel(model);
  }
}

/** A preset's base or teacher: its test-set evaluation, as npm run finetune recorded it. */
async function presetModel(stem: string, info: { recipe: { preset: string; what: string; seedData: number }; results: { perplexity: number; exactMatch: number } }, model: Transformer, backend: string): Promise<void> {
  const preset = getPreset(info.recipe.preset);
  const data = info.recipe.what === 'base' && preset.base.kind === 'recipe' ? taskSource(preset.base.recipe.task) : await nodeHost.data(preset);
  const t0 = Date.now();
  const ev = await evaluateOn(data, model);
  const rel = Math.abs(ev.perplexity - info.results.perplexity) / info.results.perplexity;
  console.log(
    `${stem}: sha256 ok; test perplexity ${ev.perplexity.toFixed(5)} (recorded ${Number(info.results.perplexity).toFixed(5)}, difference ${(100 * rel).toFixed(3)}%), exact match ${(100 * ev.exactMatch).toFixed(1)}% (recorded ${(100 * info.results.exactMatch).toFixed(1)}%) on ${backend} in ${Date.now() - t0} ms`,
  );
  if (rel > 0.01) process.exit(1);
}

runScript(main, CLI);
