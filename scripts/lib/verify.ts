/**
 * Re-runs the first steps of a recipe and compares their losses with its logged curve (CSV:
 * step,loss,…), or records them on this backend as such a curve. A recipe trained on wasm logs
 * wasm's losses; the cpu backend sums in another order and agrees only to about 1e-6, so a wasm
 * recipe also ships the first steps as the cpu backend computes them (NAME.loss.cpu.csv), for an
 * exact check on cpu.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Trainer } from '../../src/distill/trainer';

/** Prints each step's loss beside the logged one; returns true when all agree to the 6 decimals logged. */
export async function verifyAgainstCsv(trainer: Trainer, csvFile: string, steps: number, backend: string): Promise<boolean> {
  const logged = readFileSync(csvFile, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
  if (logged.length < steps) throw new Error(`${csvFile} logs ${logged.length} steps, fewer than ${steps}`);
  let worst = 0;
  for (let s = 0; s < steps; s++) {
    const r = await trainer.trainStep();
    const diff = Math.abs(Number(r.loss.toFixed(6)) - logged[s]!);
    worst = Math.max(worst, diff);
    console.log(`step ${s}: loss ${r.loss.toFixed(6)}  logged ${logged[s]!.toFixed(6)}  ${diff === 0 ? 'same' : `differs by ${diff.toExponential(2)}`}`);
  }
  console.log(worst === 0 ? `the first ${steps} losses reproduce exactly (to the 6 decimals logged) on ${backend}` : `largest difference ${worst.toExponential(2)} on ${backend}`);
  return worst === 0;
}

/** Runs the first `steps` steps and writes their losses as a CSV (step,loss) to `file`. */
export async function recordLosses(trainer: Trainer, file: string, steps: number, backend: string): Promise<void> {
  const rows = ['step,loss'];
  for (let s = 0; s < steps; s++) {
    const r = await trainer.trainStep();
    rows.push(`${s},${r.loss.toFixed(6)}`);
    console.log(`step ${s}: loss ${r.loss.toFixed(6)}`);
  }
  writeFileSync(file, rows.join('\n') + '\n');
  console.log(`wrote the first ${steps} losses on ${backend} to ${file}`);
}

/** --verify CSV or --record CSV (with --stop-after N, default 20) on a prepared trainer; false when a check failed. */
export async function checkOrRecord(trainer: Trainer, argv: string[], stopAfter: number, backend: string): Promise<boolean> {
  const at = (f: string) => argv[argv.indexOf(f) + 1] ?? '';
  if (argv.includes('--record')) {
    await recordLosses(trainer, at('--record'), stopAfter, backend);
    return true;
  }
  return verifyAgainstCsv(trainer, at('--verify'), stopAfter, backend);
}
