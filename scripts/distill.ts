/**
 * npm run distill -- --preset P --method M --steps N [--backend cpu|wasm|webgpu] [--kernels fused|reference] [--teacher HF_DIR [--base HF_DIR]] [--json FILE] [--export DIR] [--<knob> value ...]
 *
 * Runs one method of the paper table in Node on the same engine code the browser worker runs,
 * with a progress line, a final summary table and an optional JSON record of every step.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveConfig } from '../src/config/resolve';
import { exportHfFolders } from '../src/distill/hf';
import { type RunResult, runDistill } from '../src/distill/run';
import { type NodeBackend, describeNodeBackend, initNodeBackend } from '../src/engine/node';
import { type KernelSet, setKernels } from '../src/model/fused';
import type { StepRecord } from '../src/protocol/records';
import { type CliOptions, parseCli, runScript } from './lib/cli';
import { DISTILL_FLAGS } from './lib/flags';
import { hfFolderOnDisk, runHost } from './lib/host';
import * as tf from '@tensorflow/tfjs-core';
import type { DistillConfig } from '../src/config/knobs';
import { METHOD_SPECS } from '../src/config/methods';
import { getPreset } from '../src/config/presets';
import { disposeModel, studentLayers } from '../src/distill/models';
import { MEMORY_ORDER, MEMORY_PARTS } from '../src/protocol/resources';
import { backendMemoryProblem, stepMemory } from '../src/distill/step-memory';
import { countParams, paramSpecs } from '../src/model/params';

const CLI: CliOptions = { usage: 'npm run distill -- --preset P --method M --steps N [--backend cpu|wasm|webgpu] [--kernels fused|reference] [--teacher HF_DIR [--base HF_DIR]] [--json FILE] [--export DIR] [--<knob> value ...]', knobs: true };

function fmt(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

function summary(r: RunResult): string {
  const f = r.final;
  const first = r.evals[0]!;
  const rows: [string, string][] = [
    ['method', `${r.config.method} (preset ${r.config.preset}, ${r.steps.length} steps)`],
    ['base', r.base],
    ['teacher', r.teacher],
    ['ROUGE-L (test)', `${fmt(first.rougeL)} → ${fmt(f.rougeL)}`],
    ['exact match', `${fmt(first.exactMatch)} → ${fmt(f.exactMatch)}`],
    ['perplexity', `${fmt(first.perplexity, 3)} → ${fmt(f.perplexity, 3)}`],
    ['by length', f.byLength.map((b) => `${b.length}${b.beyondTraining ? '*' : ''}: ${fmt(b.rougeL, 3)}`).join('  ') + '   (* beyond training)'],
    ['trainable params', `${f.trainableParams} of ${f.totalParams}`],
    ['peak step bytes', `${f.peakBytes} (logical: tf.profile of one step)`],
    ...(f.peakGpuBytes ? ([['live GPU bytes', `${f.peakGpuBytes} (largest after a step)`]] as [string, string][]) : []),
    ['ms / token', fmt(f.msPerToken, 3)],
    ['τ0', fmt(r.tau0)],
    ['final loss', fmt(r.steps.at(-1)?.loss)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

/** The imported teacher, its student and what the run holds (an estimate), before it starts; refused where the GPU cannot bind its buffers. */
async function describeImport(dir: string, cfg: DistillConfig, backend: NodeBackend): Promise<void> {
  const { model, tokenizer } = await hfFolderOnDisk(dir).read();
  const c = model.config;
  disposeModel(model);
  const preset = getPreset(cfg.preset);
  const seq = preset.data.kind === 'corpus' ? preset.data.window : c.contextLength;
  const spec = METHOD_SPECS[cfg.method];
  const student = spec.model === 'teacher' ? c : { ...c, nLayer: studentLayers(c.nLayer, cfg.studentBlocks).length };
  const device = backend === 'webgpu' ? (tf.backend() as unknown as { device?: GPUDevice }).device : undefined;
  const limits = device ? { maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, maxBufferSize: device.limits.maxBufferSize } : { maxStorageBufferBindingSize: Infinity, maxBufferSize: Infinity };
  const mem = stepMemory(spec.signal === 'ce' ? null : c, student, { batch: cfg.batchSize, seq, lora: spec.trainable === 'lora' ? { rank: cfg.loraRank, targets: cfg.loraTargets } : null }, limits);
  const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
  console.log(`teacher ${dir}: ${c.nLayer} layers × ${c.dModel}, ${c.nHead} heads, vocabulary ${c.vocabSize} (tokenizer ${tokenizer.vocabSize}), context ${c.contextLength}; ${countParams(paramSpecs(c))} parameters`);
  console.log(`trained model (${spec.model === 'teacher' ? 'teacher-size' : 'student'}) ${student.nLayer} layers, ${mem.trainedParams} parameters, ${mem.trainableParams} trainable; a step's peak (estimate): ${MEMORY_ORDER.map((p) => `${MEMORY_PARTS[p].label} ${MB(mem.parts[p])}`).join(', ')}; ≈ ${MB(mem.total)}`);
  if (mem.problems.length) throw new Error(`${dir} will not fit this GPU: ${mem.problems.join('; ')}`);
  const heap = backendMemoryProblem(mem, backend);
  if (heap) throw new Error(`${dir} with --method ${cfg.method} --batchSize ${cfg.batchSize}: ${heap}`);
}

async function main(): Promise<void> {
  const { flags, knobs } = parseCli(process.argv.slice(2), DISTILL_FLAGS, CLI);
  const cfg = resolveConfig(knobs);
  await initNodeBackend(flags.backend as NodeBackend);
  setKernels(flags.kernels as KernelSet);
  if (flags.teacher) await describeImport(flags.teacher, cfg, flags.backend as NodeBackend);
  const t0 = Date.now();
  const bar = (rec: StepRecord, done: number) => {
    if (flags.quiet) return;
    const width = 24;
    const filled = Math.round((done / cfg.steps) * width);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${cfg.steps}  loss ${rec.loss.toFixed(4)}  τ ${fmt(rec.tau)}  intervened ${(100 * rec.interventionRate).toFixed(1)}%  ${rec.msPerStep.toFixed(0)} ms/step   `,
    );
  };
  const result = await runDistill(cfg, runHost(flags), {
    onStep: bar,
    onTrained: flags.export
      ? async (trainer) => {
          const folders = await exportHfFolders(trainer.model, trainer.tokenizer.toHfTokenizerJson());
          for (const [folder, files] of Object.entries(folders)) {
            mkdirSync(join(flags.export!, folder), { recursive: true });
            for (const [name, content] of Object.entries(files)) writeFileSync(join(flags.export!, folder, name), content);
          }
          console.log(`\nwrote ${Object.keys(folders).map((f) => join(flags.export!, f)).join(', ')} (Hugging Face GPT-2${folders.adapter ? ' + PEFT adapter' : ''})`);
        }
      : undefined,
  });
  if (!flags.quiet) process.stderr.write('\n');
  console.log(`\nsummary (${((Date.now() - t0) / 1000).toFixed(1)} s on ${describeNodeBackend()})\n${summary(result)}`);
  if (flags.json) {
    mkdirSync(dirname(flags.json) || '.', { recursive: true });
    writeFileSync(flags.json, JSON.stringify(result, null, 1));
    console.log(`wrote ${flags.json}`);
  }
}

runScript(main, CLI);
