/**
 * npm run distill -- --preset P --method M --steps N [--backend cpu|wasm] [--json FILE] [--<knob> value ...]
 *
 * Runs one method of the paper table in Node on the same engine code the browser worker runs,
 * with a progress line, a final summary table and an optional JSON record of every step.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type NodeBackend, initNodeBackend } from '../src/engine/node';
import type { DistillConfig } from '../src/distill/config';
import { type RunResult, resolveConfig, runDistill } from '../src/distill/run';
import { parseArgs, usage } from './lib/cli';
import { nodeHost } from './lib/host';

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
    ['peak step bytes', `${f.peakBytes}${f.peakGpuBytes ? ` (GPU ${f.peakGpuBytes})` : ''}`],
    ['ms / token', fmt(f.msPerToken, 3)],
    ['τ0', fmt(r.tau0)],
    ['final loss', fmt(r.steps.at(-1)?.loss)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  let cfg: DistillConfig;
  try {
    args = parseArgs(process.argv.slice(2));
    cfg = resolveConfig(args.overrides);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n\n${usage()}`);
    process.exit(2);
  }
  await initNodeBackend(args.backend as NodeBackend);
  const t0 = Date.now();
  const bar = (rec: { step: number; loss: number; tau: number | null; interventionRate: number; msPerStep: number }) => {
    if (args.quiet) return;
    const n = rec.step + 1;
    const width = 24;
    const done = Math.round((n / cfg.steps) * width);
    process.stderr.write(
      `\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${n}/${cfg.steps}  loss ${rec.loss.toFixed(4)}  τ ${fmt(rec.tau)}  intervened ${(100 * rec.interventionRate).toFixed(1)}%  ${rec.msPerStep.toFixed(0)} ms/step   `,
    );
  };
  const result = await runDistill(cfg, nodeHost, { onStep: bar });
  if (!args.quiet) process.stderr.write('\n');
  console.log(`\nsummary (${((Date.now() - t0) / 1000).toFixed(1)} s, backend ${args.backend})\n${summary(result)}`);
  if (args.json) {
    mkdirSync(dirname(args.json) || '.', { recursive: true });
    writeFileSync(args.json, JSON.stringify({ config: result.config, base: result.base, teacher: result.teacher, layerMap: result.layerMap, tau0: result.tau0, evals: result.evals, steps: result.steps, final: result.final }, null, 1));
    console.log(`wrote ${args.json}`);
  }
}

main().catch((e) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
