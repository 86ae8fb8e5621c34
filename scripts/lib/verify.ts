/**
 * --verify CSV / --record CSV: the first N losses of a recipe checked against its logged curve
 * (CSV: step,loss,…), or recorded on this backend as such a curve. A recipe trained on wasm logs
 * wasm's losses; the cpu backend sums in another order and agrees only to about 1e-6, so a wasm
 * recipe also ships the first steps as the cpu backend computes them (NAME.loss.cpu.csv), for an
 * exact check on cpu. The script steps its run (through the step driver) and hands each record here.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { StepRecord } from '../../src/protocol/records';

export class LossCheck {
  private readonly logged: number[] | null;
  private readonly rows = ['step,loss'];
  private worst = 0;

  constructor(
    private readonly mode: { verify: string } | { record: string },
    /** Steps to check or record. */
    readonly steps: number,
    private readonly backend: string,
  ) {
    if ('verify' in mode) {
      this.logged = readFileSync(mode.verify, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
      if (this.logged.length < steps) throw new Error(`${mode.verify} logs ${this.logged.length} steps, fewer than ${steps}`);
    } else this.logged = null;
  }

  /** The check of one step's loss (printed). */
  onStep(r: StepRecord): void {
    const loss = r.loss.toFixed(6);
    if (!this.logged) {
      this.rows.push(`${r.step},${loss}`);
      console.log(`step ${r.step}: loss ${loss}`);
      return;
    }
    const want = this.logged[r.step]!;
    const diff = Math.abs(Number(loss) - want);
    this.worst = Math.max(this.worst, diff);
    console.log(`step ${r.step}: loss ${loss}  logged ${want.toFixed(6)}  ${diff === 0 ? 'same' : `differs by ${diff.toExponential(2)}`}`);
  }

  /** Writes the record, or says how the check went; false when a logged loss was not reproduced. */
  finish(): boolean {
    if ('record' in this.mode) {
      writeFileSync(this.mode.record, this.rows.join('\n') + '\n');
      console.log(`wrote the first ${this.steps} losses on ${this.backend} to ${this.mode.record}`);
      return true;
    }
    console.log(this.worst === 0 ? `the first ${this.steps} losses reproduce exactly (to the 6 decimals logged) on ${this.backend}` : `largest difference ${this.worst.toExponential(2)} on ${this.backend}`);
    return this.worst === 0;
  }
}

/** The check a script's --verify / --record flags ask for, or null. */
export function lossCheck(flags: { verify?: string; record?: string; 'stop-after': number; backend: string }): LossCheck | null {
  if (flags.record !== undefined) return new LossCheck({ record: flags.record }, flags['stop-after'], flags.backend);
  if (flags.verify !== undefined) return new LossCheck({ verify: flags.verify }, flags['stop-after'], flags.backend);
  return null;
}

/** A shipped checkpoint STEM.safetensors and its record STEM.json, after checking the file is the one the record's sha256 names. */
export function readRecordedCheckpoint(stem: string): { bytes: Uint8Array; info: any } {
  const bytes = new Uint8Array(readFileSync(`${stem}.safetensors`));
  const info = JSON.parse(readFileSync(`${stem}.json`, 'utf8'));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== info.results.sha256) throw new Error(`${stem}.safetensors: sha256 ${sha} differs from the recorded ${info.results.sha256}`);
  return { bytes, info };
}
