/**
 * npm run eval-checkpoint -- public/models/NAME [--backend cpu|wasm|webgpu] [--preset P]
 *
 * Loads a shipped checkpoint and checks its sha256 against NAME.json. A pretrained base: measures
 * its validation loss on the same fixed held-out windows its recipe used. A preset's model (made by
 * npm run finetune): measures perplexity and exact match on the preset's test set, as finetune did.
 * Compares with the recorded figure; exit 1 when they differ by more than 1%.
 *
 * With --preset P it instead evaluates any checkpoint on preset P's test set (drawn as P's teacher
 * recipe draws it), e.g. the speech base on Moby Dick, to see what fine-tuning gained.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getPreset } from '../src/config/presets';
import { taskSource } from '../src/data/source';
import { evaluateModel, testSeed } from '../src/distill/evaluate';
import { readManifest } from '../src/distill/host';
import { heldOutLoss } from '../src/distill/lm';
import { disposeModel } from '../src/distill/models';
import { type NodeBackend, initNodeBackend } from '../src/engine/node';
import { readCheckpoint } from '../src/model/checkpoint';
import type { Transformer } from '../src/model/transformer';
import type { DataSource } from '../src/data/source';
import type { EvalRecord } from '../src/protocol/records';
import { type CliOptions, parseCli, runScript, usage } from './lib/cli';
import { EVAL_CHECKPOINT_FLAGS } from './lib/flags';
import { nodeFiles, nodeHost } from './lib/host';

const CLI: CliOptions = { usage: 'npm run eval-checkpoint -- public/models/NAME [--backend cpu|wasm|webgpu] [--preset P]', positional: { name: 'the checkpoint, e.g. public/models/speech-4x128', required: true } };

async function main(): Promise<void> {
  const { flags, positional } = parseCli(process.argv.slice(2), EVAL_CHECKPOINT_FLAGS, CLI);
  const backend = flags.backend;
  await initNodeBackend(backend as NodeBackend);
  const stem = positional[0]!.replace(/\.(safetensors|json)$/, '');
  const bytes = new Uint8Array(readFileSync(`${stem}.safetensors`));
  const info = JSON.parse(readFileSync(`${stem}.json`, 'utf8'));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== info.results.sha256) throw new Error(`sha256 ${sha} differs from the recorded ${info.results.sha256}`);
  const { model, tokenizer } = readCheckpoint(bytes);
  if (flags.preset) {
    const preset = getPreset(flags.preset);
    const ev = await evaluateOn(preset.teacherRecipe.seedData, await nodeHost.data(preset), model);
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

/** A model's evaluation on a preset's test set (drawn with `seedData`, as a recipe phase with that seed draws it); frees the model. */
async function evaluateOn(seedData: number, data: DataSource, model: Transformer): Promise<EvalRecord> {
  try {
    return await evaluateModel(model, data, testSeed(seedData), 0);
  } finally {
    disposeModel(model);
  }
}

/** A preset's base or teacher: its test-set evaluation, as npm run finetune recorded it. */
async function presetModel(stem: string, info: { recipe: { preset: string; what: string; seedData: number }; results: { perplexity: number; exactMatch: number } }, model: Transformer, backend: string): Promise<void> {
  const preset = getPreset(info.recipe.preset);
  const data = info.recipe.what === 'base' && preset.base.kind === 'recipe' ? taskSource(preset.base.recipe.task) : await nodeHost.data(preset);
  const t0 = Date.now();
  // The test set is drawn with the recipe's data seed, as finetune drew it.
  const ev = await evaluateOn(info.recipe.seedData, data, model);
  const rel = Math.abs(ev.perplexity - info.results.perplexity) / info.results.perplexity;
  console.log(
    `${stem}: sha256 ok; test perplexity ${ev.perplexity.toFixed(5)} (recorded ${Number(info.results.perplexity).toFixed(5)}, difference ${(100 * rel).toFixed(3)}%), exact match ${(100 * ev.exactMatch).toFixed(1)}% (recorded ${(100 * info.results.exactMatch).toFixed(1)}%) on ${backend} in ${Date.now() - t0} ms`,
  );
  if (rel > 0.01) process.exit(1);
}

runScript(main, () => usage(EVAL_CHECKPOINT_FLAGS, CLI));
