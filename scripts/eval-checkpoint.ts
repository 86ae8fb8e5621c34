/**
 * npm run eval-checkpoint -- public/models/NAME [--backend cpu|wasm] [--preset P]
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
import { join } from 'node:path';
import type { DataManifest } from '../src/data/corpus';
import { heldOutLoss } from '../src/distill/lm';
import { NODE_BACKENDS, type NodeBackend, initNodeBackend } from '../src/engine/node';
import { readCheckpoint } from '../src/model/checkpoint';
import type { Transformer } from '../src/model/transformer';
import { getPreset } from '../src/data/presets';
import { type DataSource, taskSource } from '../src/data/source';
import { disposeModel } from '../src/distill/models';
import { resolveConfig } from '../src/distill/resolve';
import { type EvalRecord, Trainer } from '../src/distill/trainer';
import { nodeHost } from './lib/host';

async function main(): Promise<void> {
  const base = process.argv[2];
  if (!base || base.startsWith('--')) throw new Error('usage: npm run eval-checkpoint -- public/models/NAME [--backend cpu|wasm] [--preset P]');
  const bi = process.argv.indexOf('--backend');
  const backend = (bi >= 0 ? process.argv[bi + 1] : 'wasm') as NodeBackend;
  if (!NODE_BACKENDS.includes(backend)) throw new Error(`--backend must be one of ${NODE_BACKENDS.join(', ')}`);
  await initNodeBackend(backend);
  const stem = base.replace(/\.(safetensors|json)$/, '');
  const bytes = new Uint8Array(readFileSync(`${stem}.safetensors`));
  const info = JSON.parse(readFileSync(`${stem}.json`, 'utf8'));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== info.results.sha256) throw new Error(`sha256 ${sha} differs from the recorded ${info.results.sha256}`);
  const { model, tokenizer } = readCheckpoint(bytes);
  const pi = process.argv.indexOf('--preset');
  if (pi >= 0) {
    const preset = getPreset(process.argv[pi + 1] ?? '');
    const ev = await evaluateOn(preset.name, preset.teacherRecipe.seedData, await nodeHost.data(preset), model);
    console.log(`${stem} on the test set of ${preset.name}: perplexity ${ev.perplexity.toFixed(4)}, ROUGE-L ${ev.rougeL.toFixed(4)}, exact match ${(100 * ev.exactMatch).toFixed(1)}% (${backend})`);
    for (const b of preset.data.kind === 'task' ? ev.byLength : []) console.log(`  length ${b.length}${b.beyondTraining ? ' (beyond training)' : ''}: exact match ${(100 * b.exactMatch).toFixed(1)}%, ROUGE-L ${b.rougeL.toFixed(3)}`);
    return;
  }
  if (info.recipe.preset) return presetModel(stem, info, model, backend);
  const manifest = JSON.parse(readFileSync(join('public/data', 'manifest.json'), 'utf8')) as DataManifest;
  if (tokenizer?.alphabet !== manifest.alphabet) throw new Error('the checkpoint\'s alphabet differs from the prepared data\'s');
  const val = readFileSync(join('public/data', 'sotu-val.txt'), 'utf8');
  const t0 = Date.now();
  const loss = await heldOutLoss(model, val, manifest.alphabet, info.recipe.window, 64, 11);
  const rel = Math.abs(loss - info.results.valLoss) / info.results.valLoss;
  console.log(`${stem}: sha256 ok; validation loss ${loss.toFixed(5)} nats/char (recorded ${Number(info.results.valLoss).toFixed(5)}, difference ${(100 * rel).toFixed(3)}%) on ${backend} in ${Date.now() - t0} ms`);
  if (rel > 0.01) process.exit(1);
}

/** A model's evaluation on a preset's test set (drawn with `seedData`); frees the model. */
async function evaluateOn(preset: string, seedData: number, data: DataSource, model: Transformer): Promise<EvalRecord> {
  const trainer = await Trainer.create(resolveConfig({ preset, method: 'ft', steps: 1, seedData }), data, model, null);
  disposeModel(model);
  const ev = await trainer.evaluate();
  trainer.dispose();
  return ev;
}

/** A preset's base or teacher: its test-set evaluation, as npm run finetune recorded it. */
async function presetModel(stem: string, info: { recipe: { preset: string; what: string; seedData: number }; results: { perplexity: number; exactMatch: number } }, model: Transformer, backend: string): Promise<void> {
  const preset = getPreset(info.recipe.preset);
  const data = info.recipe.what === 'base' && preset.base.kind === 'recipe' ? taskSource(preset.base.recipe.task) : await nodeHost.data(preset);
  const t0 = Date.now();
  // The test set is drawn with the recipe's data seed, as finetune drew it.
  const ev = await evaluateOn(preset.name, info.recipe.seedData, data, model);
  const rel = Math.abs(ev.perplexity - info.results.perplexity) / info.results.perplexity;
  console.log(
    `${stem}: sha256 ok; test perplexity ${ev.perplexity.toFixed(5)} (recorded ${Number(info.results.perplexity).toFixed(5)}, difference ${(100 * rel).toFixed(3)}%), exact match ${(100 * ev.exactMatch).toFixed(1)}% (recorded ${(100 * info.results.exactMatch).toFixed(1)}%) on ${backend} in ${Date.now() - t0} ms`,
  );
  if (rel > 0.01) process.exit(1);
}

main().catch((e) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
