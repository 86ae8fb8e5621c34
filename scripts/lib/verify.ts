/** Re-runs the first steps of a recipe and compares their losses with its logged curve (CSV: step,loss,…). */
import { readFileSync } from 'node:fs';
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
