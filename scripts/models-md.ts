/**
 * npm run models-md [-- DIR]
 *
 * Writes DIR/MODELS.md (default public/models) from the NAME.json files the training scripts
 * write beside each shipped checkpoint: recipe, machine, wall time, losses, sha256 and a greedy
 * continuation, so the document never disagrees with the files.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getPreset, recipePhases, teacherRecipeOf } from '../src/config/presets';
import { parseCli } from './lib/cli';

const { positional } = parseCli(process.argv.slice(2), {}, { usage: 'npm run models-md [-- DIR]', positional: { name: 'the folder of the checkpoints', required: false } });
const dir = positional[0] ?? 'public/models';
const infos = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f.replace(/\.json$/, ''), ...JSON.parse(readFileSync(join(dir, f), 'utf8')) }));

const lines: string[] = [
  '# Shipped checkpoints',
  '',
  'Every file here was made by the repository\'s own scripts from the data `npm run prepare-data` writes; nothing was',
  'downloaded. Each checkpoint is a safetensors file (F32) whose metadata holds its model config, its tokenizer\'s',
  'alphabet and its recipe; `NAME.json` holds the same plus the results below, `NAME.loss.csv` the loss curve. This page',
  'is generated from those files by `npm run models-md`.',
  '',
  'Check a pretrained base (sha256, then its validation loss on the held-out speeches against the recorded figure, within 1%;',
  'for a preset\'s model the same command measures its test-set perplexity and exact match):',
  '',
  '```sh',
  'npm run eval-checkpoint -- public/models/speech-4x128',
  '```',
  '',
];
/**
 * How to re-run a recipe's first 20 steps against its logged losses: on the backend it was trained
 * on, and, for a recipe trained on wasm, on cpu against NAME.loss.cpu.csv (see scripts/lib/verify.ts).
 */
function reproduce(name: string, command: string, backend: string): string[] {
  const on = (b: string, csv: string) => `\`${command.replace(/--backend \S+/, `--backend ${b}`)} --verify public/models/${csv} --stop-after 20\``;
  const lines = [`- Reproduce its first 20 logged losses exactly on ${backend}: ${on(backend, `${name}.loss.csv`)}`];
  if (backend !== 'cpu' && existsSync(join(dir, `${name}.loss.cpu.csv`))) {
    lines.push(`- … and on cpu, against the first 20 losses as the cpu backend computes them (${name}.loss.cpu.csv; they differ from ${backend}'s by float rounding): ${on('cpu', `${name}.loss.cpu.csv`)}`);
  }
  return lines;
}

/** Exact match over the test lengths within (or beyond) training; every length has as many strings. */
function emOver(byLength: { beyondTraining: boolean; exactMatch: number }[], beyond: boolean): string {
  const g = byLength.filter((b) => b.beyondTraining === beyond);
  return g.length ? `${((100 * g.reduce((a, b) => a + b.exactMatch, 0)) / g.length).toFixed(1)}%` : '';
}

for (const m of infos) {
  const r = m.results;
  const c = m.model;
  if (m.recipe.preset) {
    // A teacher recipe in phases: phase k of n (files made before phases were recorded say it by name).
    const phases = m.recipe.what === 'teacher' ? recipePhases(teacherRecipeOf(getPreset(m.recipe.preset))).length : 1;
    const k: number = m.recipe.phase ?? Number(/-phase(\d+)$/.exec(m.name)?.[1] ?? phases);
    const command = phases > 1 && !m.recipe.phase ? `${m.recipe.command} --phase ${k}` : m.recipe.command;
    lines.push(
      `## ${m.name}`,
      '',
      m.recipe.what === 'base'
        ? `- The base of preset \`${m.recipe.preset}\`: ${c.nLayer} layers × ${c.dModel}, trained from ${m.recipe.base} on its base recipe's tasks.`
        : phases > 1
          ? `- Phase ${k} of ${phases} of the \`ft\` model of preset \`${m.recipe.preset}\`: ${c.nLayer} layers × ${c.dModel}, fully fine-tuned from ${m.recipe.base}.${k < phases ? ` Phase ${k + 1} continues from this file.` : ''}`
          : `- The \`ft\` model of preset \`${m.recipe.preset}\`: ${c.nLayer} layers × ${c.dModel}, fully fine-tuned from ${m.recipe.base}.`,
      `- Command: \`${command}\` (seed ${m.recipe.seedData}, ${m.recipe.steps} steps of ${m.recipe.batchSize}, peak learning rate ${m.recipe.lr}${m.recipe.trainLengths ? `, training strings of ${m.recipe.trainLengths[0]}–${m.recipe.trainLengths[1]} characters` : ''}${phases > 1 ? `; without \`--phase\` it runs all ${phases} phases` : ''}).`,
      `- Machine: ${r.machine}; wall time ${r.wallSeconds} s; final training loss ${Number(r.finalTrainLoss).toFixed(4)}.`,
      ...(r.start ? [`- Before this recipe, on the same test set: perplexity ${Number(r.start.perplexity).toFixed(3)}, ROUGE-L ${Number(r.start.rougeL).toFixed(3)}${getPreset(m.recipe.preset).data.kind === 'task' ? `, exact match ${(100 * r.start.exactMatch).toFixed(1)}%` : ''}.`] : []),
      ...(getPreset(m.recipe.preset).data.kind === 'task'
        ? [
            `- Test set: exact match ${emOver(r.byLength, false)} on the training lengths${emOver(r.byLength, true) ? `, ${emOver(r.byLength, true)} beyond them` : ''}; over all: exact match ${(100 * r.exactMatch).toFixed(1)}%, ROUGE-L ${Number(r.rougeL).toFixed(3)}, perplexity ${Number(r.perplexity).toFixed(3)}; by length:`,
            '',
            '  | length | beyond training | exact match | ROUGE-L |',
            '  |---|---|---|---|',
            ...r.byLength.map((b: { length: number; beyondTraining: boolean; exactMatch: number; rougeL: number }) => `  | ${b.length} | ${b.beyondTraining ? 'yes' : 'no'} | ${(100 * b.exactMatch).toFixed(1)}% | ${b.rougeL.toFixed(3)} |`),
            '',
          ]
        : [`- Test set (continuations of held-out text): perplexity ${Number(r.perplexity).toFixed(3)}, word ROUGE-L ${Number(r.rougeL).toFixed(3)}.`]),
      `- sha256 of \`${m.name}.safetensors\`: \`${r.sha256}\``,
      `- Check (sha256, then the test perplexity against the figure above, within 1%): \`npm run eval-checkpoint -- public/models/${m.name} --backend ${m.recipe.backend}\``,
      ...reproduce(m.name, command, m.recipe.backend),
      '',
    );
    continue;
  }
  lines.push(
    `## ${m.name}`,
    '',
    `- Model: ${c.nLayer} layers × ${c.dModel} wide, ${c.nHead} heads, MLP ${c.dFF}, ${c.nPositions} positions, vocabulary ${c.vocabSize} (characters + the replacement token); trained on windows of ${m.recipe.window} characters.`,
    `- Command: \`${m.recipe.command}\``,
    `- Data: ${m.recipe.data}, ${m.recipe.trainFile} (sha256 ${m.recipe.trainSha256.slice(0, 16)}…); seed ${m.recipe.seed}, ${m.recipe.steps} steps of ${m.recipe.batch} windows, peak learning rate ${m.recipe.lr}.`,
    `- Machine: ${r.machine}; wall time ${r.wallSeconds} s.`,
    `- Final training loss ${Number(r.finalTrainLoss).toFixed(4)}, validation loss ${Number(r.valLoss).toFixed(4)}, test loss ${Number(r.testLoss).toFixed(4)} nats per character (perplexity ${Math.exp(r.valLoss).toFixed(2)} on validation).`,
    `- sha256 of \`${m.name}.safetensors\`: \`${r.sha256}\``,
    ...reproduce(m.name, m.recipe.command, /--backend (\S+)/.exec(m.recipe.command)?.[1] ?? 'wasm'),
    `- Greedy continuation of a held-out (test) speech, prompt in brackets:`,
    '',
    `  > [${r.prompt}]${r.greedyContinuation}`,
    '',
  );
}
writeFileSync(join(dir, 'MODELS.md'), lines.join('\n'));
console.log(`wrote ${join(dir, 'MODELS.md')} (${infos.length} checkpoints)`);
