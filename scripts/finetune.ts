/**
 * npm run finetune -- --preset P [--backend cpu|wasm|webgpu] [--out DIR] [--what teacher|base] [--phase K]
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
 * the phase K-1 file in DIR. The training itself is the hosts' (src/distill/recipes.ts).
 *
 * --rescore evaluates every phase's file (and the model it started from) again on the preset's
 * test set and rewrites the evaluations in its .json, keeping the training's record (sha256, loss,
 * wall time): for files trained before the test set changed (test sets once moved with seedData).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { type Recipe, getPreset, recipePhases, teacherRecipeOf, baseLabel } from '../src/config/presets';
import { disposeModel } from '../src/distill/models';
import { baseRecipeStart, trainRecipe } from '../src/distill/recipes';
import { type NodeBackend, initNodeBackend } from '../src/engine/node';
import { readCheckpoint, saveCheckpoint } from '../src/model/checkpoint';
import type { Transformer } from '../src/model/transformer';
import type { DataSource } from '../src/data/source';
import { evaluateModel } from '../src/distill/evaluate';
import type { EvalRecord } from '../src/protocol/records';
import { type CliOptions, parseCli, runScript } from './lib/cli';
import { FINETUNE_FLAGS } from './lib/flags';
import { nodeHost } from './lib/host';
import { lossCheck, readRecordedCheckpoint } from './lib/verify';

const CLI: CliOptions = { usage: 'npm run finetune -- --preset P [--what teacher|base] [--phase K] [--backend cpu|wasm|webgpu] [--out DIR] [--verify CSV | --record CSV] [--stop-after N]' };

async function main(): Promise<void> {
  const { flags } = parseCli(process.argv.slice(2), FINETUNE_FLAGS, CLI);
  const { preset: name, backend, out, what } = flags;
  await initNodeBackend(backend as NodeBackend);
  const preset = getPreset(name);
  const presetData = await nodeHost.data(preset);
  let data: DataSource = presetData;
  let start: { model: Transformer; origin: string };
  let recipe: Recipe;
  if (what === 'base') {
    if (preset.base.kind !== 'recipe') throw new Error(`preset ${name} starts from ${baseLabel(preset)}${preset.base.kind === 'checkpoint' ? ': make it with npm run pretrain' : ''}`);
    const b = baseRecipeStart(preset, presetData);
    ({ data, recipe } = b);
    start = { model: b.start, origin: `a seeded initialisation (seed ${preset.base.seed})` };
  } else {
    start = await nodeHost.base(preset, presetData);
    recipe = teacherRecipeOf(preset);
  }
  const phases = recipePhases(recipe);
  const stem = join(out, `${name}-${what}`);
  // Phase k of n writes STEM-phase{k}.* (the last one STEM.*); --phase K makes only phase K, from
  // the file phase K-1 wrote.
  const fileOf = (k: number) => (k === phases.length ? stem : `${stem}-phase${k}`);
  const only = flags.phase ?? null;
  if (only !== null && only > phases.length) throw new Error(`--phase must be 1…${phases.length} for this recipe`);
  if (only !== null && only > 1) {
    const prev = `${fileOf(only - 1)}.safetensors`;
    if (!existsSync(prev)) throw new Error(`${prev} is missing: phase ${only} continues from phase ${only - 1} (npm run finetune -- --preset ${name} --phase ${only - 1})`);
    disposeModel(start.model);
    start = { model: readCheckpoint(new Uint8Array(readFileSync(prev))).model, origin: `its phase ${only - 1}, ${prev}` };
  }
  if (flags.rescore) return rescore(phases.map((_, i) => fileOf(i + 1)), start.model, data, backend);
  const from = only ?? 1;
  const run = { preset: name, data, start: start.model, recipe, from };
  const check = lossCheck(flags);
  if (check) {
    // Re-runs (or records) the first steps of the phase named by --phase (default the first).
    await trainRecipe({ ...run, to: from }, { onStep: (r) => check.onStep(r), shouldStop: (done) => done >= check.steps }).then(disposeModel);
    disposeModel(start.model);
    if (!check.finish()) process.exit(1);
    return;
  }
  let csv: string[] = [];
  let t0 = Date.now();
  let phase = from;
  let origin = start.origin;
  const model = await trainRecipe(
    { ...run, to: only ?? phases.length, evaluate: true },
    {
      onPhaseStart: (k) => {
        phase = k;
        csv = ['step,loss,lr,ms'];
        t0 = Date.now();
      },
      onStep: (rec, done, of) => {
        csv.push(`${rec.step},${rec.loss.toFixed(6)},${rec.lr.toExponential(4)},${rec.msPerStep.toFixed(0)}`);
        const where = `${phases.length > 1 ? `phase ${phase}/${phases.length}, ` : ''}step ${done}/${of}`;
        if (rec.step % 50 === 0 || done === of) process.stderr.write(`${where}  loss ${rec.loss.toFixed(4)}  ${rec.msPerStep.toFixed(0)} ms/step\n`);
      },
      onPhaseEnd: async (k, trained, evals) => {
        const wallSeconds = Math.round((Date.now() - t0) / 1000);
        const ev = evals.end!;
        const ev0 = evals.start!;
        const { then: _later, ...own } = phases[k - 1]!;
        const command = `npm run finetune -- --preset ${name} --backend ${backend}${what === 'base' ? ' --what base' : ''}${phases.length > 1 ? ` --phase ${k}` : ''}`;
        const recipeRecord = { command, preset: name, what, base: origin, ...own, ...(phases.length > 1 ? { phase: k, phases: phases.length } : {}), backend };
        const saved = await saveCheckpoint(trained, { recipe: JSON.stringify(recipeRecord) }, data.tokenizer.toJSON());
        mkdirSync(out, { recursive: true });
        const file = fileOf(k);
        writeFileSync(`${file}.safetensors`, saved.safetensors);
        writeFileSync(`${file}.loss.csv`, csv.join('\n') + '\n');
        const results = {
          wallSeconds,
          machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, tfjs ${backend}`,
          finalTrainLoss: Number(csv.at(-1)!.split(',')[1]),
          ...evalFields(ev, ev0),
          sha256: createHash('sha256').update(saved.safetensors).digest('hex'),
        };
        writeFileSync(`${file}.json`, JSON.stringify({ ...JSON.parse(saved.configJson), recipe: recipeRecord, results }, null, 1) + '\n');
        console.log(`wrote ${file}.{safetensors,json,loss.csv} in ${wallSeconds} s`);
        for (const b of ev.byLength) console.log(`  length ${b.length}${b.beyondTraining ? ' (beyond training)' : ''}: exact match ${(100 * b.exactMatch).toFixed(1)}%, ROUGE-L ${b.rougeL.toFixed(3)}`);
        console.log(`  perplexity ${ev.perplexity.toFixed(3)}`);
        origin = `its phase ${k}, ${file}.safetensors`;
      },
    },
  );
  disposeModel(model);
  disposeModel(start.model);
}

/** The evaluation fields of a recipe file's results (what --rescore rewrites). */
const evalFields = (ev: EvalRecord, ev0: EvalRecord) => ({
  rougeL: ev.rougeL,
  exactMatch: ev.exactMatch,
  perplexity: ev.perplexity,
  byLength: ev.byLength,
  samples: ev.samples,
  start: { perplexity: ev0.perplexity, rougeL: ev0.rougeL, exactMatch: ev0.exactMatch },
});

/** Re-evaluates each phase's file (after checking it is the file its .json describes) and the model it started from; rewrites the .json's evaluations. */
async function rescore(files: string[], start: Transformer, data: DataSource, backend: string): Promise<void> {
  let from = start;
  for (const file of files) {
    const { bytes, info } = readRecordedCheckpoint(file);
    const model = readCheckpoint(bytes).model;
    const ev0 = await evaluateModel(from, data, 0);
    const ev = await evaluateModel(model, data, 0);
    const was = { perplexity: info.results.perplexity, exactMatch: info.results.exactMatch };
    info.results = { ...info.results, ...evalFields(ev, ev0), rescored: { date: new Date().toISOString().slice(0, 10), backend, why: "the preset's fixed test set (before: drawn from the recipe's data seed)" } };
    writeFileSync(`${file}.json`, JSON.stringify(info, null, 1) + '\n');
    console.log(`${file}.json: perplexity ${Number(was.perplexity).toFixed(4)} → ${ev.perplexity.toFixed(4)}, exact match ${(100 * was.exactMatch).toFixed(1)}% → ${(100 * ev.exactMatch).toFixed(1)}%`);
    for (const b of ev.byLength) console.log(`  length ${b.length}${b.beyondTraining ? ' (beyond training)' : ''}: exact match ${(100 * b.exactMatch).toFixed(1)}%, ROUGE-L ${b.rougeL.toFixed(3)}`);
    disposeModel(from);
    from = model;
  }
  disposeModel(from);
}

runScript(main, CLI);
