/**
 * Synthetic tasks with gold responses, generated from a seed by the same code in Node and in the
 * browser. An example is a prompt and a response ending in the end-of-sequence mark; all examples
 * of a batch share one length, so a batch is a plain [B, P + R] block (no padding).
 */
import { Rng } from '../model/rng';
import { CharTokenizer } from './tokenizer';

export const EOS = '.';
export const SEP = '=';

export interface Example {
  prompt: string;
  response: string; // ends with EOS
}

export interface TaskDef {
  name: string;
  /** Characters the task's strings are drawn from (besides SEP and EOS). */
  symbols: string;
  /** One example whose input has `length` symbols. */
  make(rng: Rng, length: number, symbols: string): Example;
}

function randomString(rng: Rng, n: number, symbols: string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += symbols[rng.int(symbols.length)];
  return s;
}

export const TASKS: Record<string, TaskDef> = {
  copy: {
    name: 'copy',
    symbols: 'abcdefgh',
    make: (rng, n, sym) => {
      const s = randomString(rng, n, sym);
      return { prompt: s + SEP, response: s + EOS };
    },
  },
  reverse: {
    name: 'reverse',
    symbols: 'abcdefgh',
    make: (rng, n, sym) => {
      const s = randomString(rng, n, sym);
      return { prompt: s + SEP, response: [...s].reverse().join('') + EOS };
    },
  },
  sort: {
    name: 'sort',
    symbols: 'abcdefgh',
    make: (rng, n, sym) => {
      const s = randomString(rng, n, sym);
      return { prompt: s + SEP, response: [...s].sort().join('') + EOS };
    },
  },
};

export interface TaskConfig {
  task: keyof typeof TASKS;
  /** Other tasks (same alphabet) drawn in turn with `task`, one task per batch: for pretraining mixes. */
  mix?: (keyof typeof TASKS)[];
  /** Input lengths seen in training (inclusive range). */
  trainLengths: [number, number];
  /** Input lengths of the test set: up to and beyond the training range. */
  testLengths: number[];
  /** Test examples per length. */
  testPerLength: number;
}

export function taskTokenizer(cfg: TaskConfig): CharTokenizer {
  for (const t of cfg.mix ?? []) {
    if (TASKS[t]!.symbols !== TASKS[cfg.task]!.symbols) throw new Error(`task mix: ${t} and ${cfg.task} use different alphabets`);
  }
  return new CharTokenizer(TASKS[cfg.task]!.symbols + SEP + EOS);
}

/** Longest prompt + response (in tokens) the task produces: the model's context must hold it. */
export function maxSequenceLength(cfg: TaskConfig): number {
  const longest = Math.max(cfg.trainLengths[1], ...cfg.testLengths);
  return 2 * longest + 2;
}

/** A batch of B examples of one input length (drawn from the training range). */
export function trainBatch(cfg: TaskConfig, rng: Rng, B: number): Example[] {
  const [lo, hi] = cfg.trainLengths;
  const n = lo + rng.int(hi - lo + 1);
  const names = cfg.mix?.length ? [cfg.task, ...cfg.mix] : [cfg.task];
  const def = TASKS[names.length > 1 ? names[rng.int(names.length)]! : cfg.task]!;
  return Array.from({ length: B }, () => def.make(rng, n, def.symbols));
}

/** The fixed test set, grouped by input length, from its own seed. */
export function testSet(cfg: TaskConfig, seed: number): { length: number; examples: Example[] }[] {
  const def = TASKS[cfg.task]!;
  return cfg.testLengths.map((n) => {
    const rng = Rng.derive(seed, `test/${cfg.task}/${n}`);
    return { length: n, examples: Array.from({ length: cfg.testPerLength }, () => def.make(rng, n, def.symbols)) };
  });
}
