/**
 * npm run finetune -- --preset P [--backend cpu|wasm] [--out DIR] [--what teacher|base]
 *
 * Makes a preset's teacher, its `ft` model: the preset's base fully fine-tuned on its data by the
 * preset's teacher recipe. Writes DIR/P-teacher.safetensors (with config, alphabet and recipe
 * inside), DIR/P-teacher.json (recipe and measured results: exact match and ROUGE-L by test length,
 * or perplexity and ROUGE-L for text) and DIR/P-teacher.loss.csv. The Node host then uses this
 * file instead of training the teacher itself. With --what base it makes the base of a preset
 * whose base is a recipe (tiny) the same way, as DIR/P-base.*. With --verify CSV [--stop-after N]
 * it re-runs the recipe's first N steps (default 20) and compares their losses with the CSV.
 *
 * A recipe in phases (Recipe.then) writes each phase's model: DIR/P-teacher-phase1.* … and the
 * last as DIR/P-teacher.*. --phase K makes (or with --verify re-runs) only phase K, starting from
 * the phase K-1 file in DIR.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { PRESET_NAMES, getPreset } from '../src/data/presets';
import { phaseConfig, phaseData } from '../src/distill/checkpoints';
import { Trainer } from '../src/distill/trainer';
import { NODE_BACKENDS, type NodeBackend, initNodeBackend } from '../src/engine/node';
import { readCheckpoint, saveCheckpoint } from '../src/model/checkpoint';
import type { Transformer } from '../src/model/transformer';
import { type Recipe, recipePhases } from '../src/data/presets';
import { taskSource } from '../src/data/source';
import { disposeModel, initialModel } from '../src/distill/models';
import { flag } from './lib/cli';
import { checkOrRecord } from './lib/verify';
import { MODELS_DIR, nodeHost } from './lib/host';

async function main(): Promise<void> {
  const name = flag('preset');
  if (!PRESET_NAMES.includes(name)) throw new Error(`unknown --preset ${name}; valid: ${PRESET_NAMES.join(', ')}`);
  const backend = flag('backend', 'wasm') as NodeBackend;
  if (!NODE_BACKENDS.includes(backend)) throw new Error(`--backend must be one of ${NODE_BACKENDS.join(', ')}`);
  const out = flag('out', MODELS_DIR);
  await initNodeBackend(backend);
  const what = flag('what', 'teacher');
  if (what !== 'teacher' && what !== 'base') throw new Error('--what must be teacher or base');
  const preset = getPreset(name);
  const presetData = await nodeHost.data(preset);
  let data = presetData;
  let start: { model: Transformer; origin: string };
  let r: Recipe;
  if (what === 'base') {
    if (preset.base.kind !== 'recipe') throw new Error(`preset ${name} starts from the shipped ${preset.base.name}: make it with npm run pretrain`);
    const { task, ...recipe } = preset.base.recipe;
    r = recipe;
    data = taskSource(task);
    start = { model: initialModel(preset, presetData), origin: `a seeded initialisation (seed ${preset.base.seed})` };
  } else {
    start = await nodeHost.base(preset, presetData);
    r = preset.teacherRecipe;
  }
  const phases = recipePhases(r);
  const stem = join(out, `${name}-${what}`);
  // Phase k of n writes STEM-phase{k}.* (the last one STEM.*); --phase K makes only phase K, from
  // the file phase K-1 wrote.
  const fileOf = (k: number) => (k === phases.length ? stem : `${stem}-phase${k}`);
  const only = process.argv.includes('--phase') ? Number(flag('phase')) : null;
  if (only !== null && !(Number.isInteger(only) && only >= 1 && only <= phases.length)) throw new Error(`--phase must be 1…${phases.length} for this recipe`);
  let first = 1;
  if (only !== null && only > 1) {
    const prev = `${fileOf(only - 1)}.safetensors`;
    if (!existsSync(prev)) throw new Error(`${prev} is missing: phase ${only} continues from phase ${only - 1} (npm run finetune -- --preset ${name} --phase ${only - 1})`);
    disposeModel(start.model);
    start = { model: readCheckpoint(new Uint8Array(readFileSync(prev))).model, origin: `its phase ${only - 1}, ${prev}` };
    first = only;
  }
  const last = only ?? phases.length;
  if (process.argv.includes('--verify') || process.argv.includes('--record')) {
    // Re-runs (or records) the first steps of the phase named by --phase (default the first).
    const trainer = await Trainer.create(phaseConfig(phases[first - 1]!, name), phaseData(data, phases[first - 1]!), start.model, null);
    disposeModel(start.model);
    const same = await checkOrRecord(trainer, process.argv, Number(flag('stop-after', '20')), backend);
    trainer.dispose();
    if (!same) process.exit(1);
    return;
  }
  let model = start.model;
  let origin = start.origin;
  for (let k = first; k <= last; k++) {
    const phase = phases[k - 1]!;
    const trainer = await Trainer.create(phaseConfig(phase, name), phaseData(data, phase), model, null);
    disposeModel(model);
    const ev0 = await trainer.evaluate(); // what the starting model scores on the same test set
    const csv = ['step,loss,lr,ms'];
    const t0 = Date.now();
    for (let s = 0; s < phase.steps; s++) {
      const rec = await trainer.trainStep();
      csv.push(`${s},${rec.loss.toFixed(6)},${rec.lr.toExponential(4)},${rec.msPerStep.toFixed(0)}`);
      if (s % 50 === 0 || s === phase.steps - 1) process.stderr.write(`${phases.length > 1 ? `phase ${k}/${phases.length}  ` : ''}step ${s + 1}/${phase.steps}  loss ${rec.loss.toFixed(4)}  ${rec.msPerStep.toFixed(0)} ms/step\n`);
    }
    const wallSeconds = Math.round((Date.now() - t0) / 1000);
    const ev = await trainer.evaluate();
    model = trainer.release();
    const { then: _later, ...own } = phase;
    const command = `npm run finetune -- --preset ${name} --backend ${backend}${what === 'base' ? ' --what base' : ''}${phases.length > 1 ? ` --phase ${k}` : ''}`;
    const recipe = { command, preset: name, what, base: origin, ...own, ...(phases.length > 1 ? { phase: k, phases: phases.length } : {}), backend };
    const alphabet = data.tokenizer.alphabet.slice(1).join('');
    const saved = await saveCheckpoint(model, { recipe: JSON.stringify(recipe) }, { alphabet });
    mkdirSync(out, { recursive: true });
    const file = fileOf(k);
    writeFileSync(`${file}.safetensors`, saved.safetensors);
    writeFileSync(`${file}.loss.csv`, csv.join('\n') + '\n');
    const results = {
      wallSeconds,
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, tfjs ${backend}`,
      finalTrainLoss: Number(csv.at(-1)!.split(',')[1]),
      rougeL: ev.rougeL,
      exactMatch: ev.exactMatch,
      perplexity: ev.perplexity,
      byLength: ev.byLength,
      samples: ev.samples,
      start: { perplexity: ev0.perplexity, rougeL: ev0.rougeL, exactMatch: ev0.exactMatch },
      sha256: createHash('sha256').update(saved.safetensors).digest('hex'),
    };
    writeFileSync(`${file}.json`, JSON.stringify({ ...JSON.parse(saved.configJson), recipe, results }, null, 1) + '\n');
    console.log(`wrote ${file}.{safetensors,json,loss.csv} in ${wallSeconds} s`);
    for (const b of ev.byLength) console.log(`  length ${b.length}${b.beyondTraining ? ' (beyond training)' : ''}: exact match ${(100 * b.exactMatch).toFixed(1)}%, ROUGE-L ${b.rougeL.toFixed(3)}`);
    console.log(`  perplexity ${ev.perplexity.toFixed(3)}`);
    origin = `its phase ${k}, ${file}.safetensors`;
  }
  disposeModel(model);
}

main().catch((e) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
