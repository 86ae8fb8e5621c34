/**
 * Synthetic tasks with gold responses, generated from a seed by the same code in Node and in the
 * browser. An example is a prompt and a response ending in the end-of-sequence mark; all examples
 * of a batch share one length, so a batch is a plain [B, P + R] block (no padding).
 */
import { Rng, hashString, mix32 } from '../model/rng';
import { CharTokenizer, type Tokenizer } from './tokenizer';

export const EOS = '.';
export const SEP = '=';

export interface Example {
  prompt: string;
  response: string; // ends with EOS (tasks)
  /** The ids, where they are not the tokenizer's encoding of the strings (windows cut in a subword tokenizer's ids). */
  ids?: { prompt: number[]; response: number[] };
}

export interface TaskDef {
  name: string;
  /** Characters the task's strings are drawn from (besides the separator and EOS). */
  symbols: string;
  /** One example whose input has `length` symbols; `sep` ends the prompt. */
  make(rng: Rng, length: number, symbols: string, sep: string): Example;
}

function randomString(rng: Rng, n: number, symbols: string): string {
  let s = '';
  for (let i = 0; i < n; i++) s += symbols[rng.int(symbols.length)];
  return s;
}

function distinctKeys(rng: Rng, n: number): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const keys = new Set<string>();
  while (keys.size < n) keys.add(letters[rng.int(26)]! + letters[rng.int(26)]!);
  return [...keys];
}

function digits(rng: Rng, n: number): string {
  let s = String(1 + rng.int(9)); // no leading zero
  for (let i = 1; i < n; i++) s += String(rng.int(10));
  return s;
}

const reversed = (s: string) => [...s].reverse().join('');

export const TASKS: Record<string, TaskDef> = {
  copy: {
    name: 'copy',
    symbols: 'abcdefgh',
    make: (rng, n, sym, sep) => {
      const s = randomString(rng, n, sym);
      return { prompt: s + sep, response: s + EOS };
    },
  },
  reverse: {
    name: 'reverse',
    symbols: 'abcdefgh',
    make: (rng, n, sym, sep) => {
      const s = randomString(rng, n, sym);
      return { prompt: s + sep, response: [...s].reverse().join('') + EOS };
    },
  },
  sort: {
    name: 'sort',
    symbols: 'abcdefgh',
    make: (rng, n, sym, sep) => {
      const s = randomString(rng, n, sym);
      return { prompt: s + sep, response: [...s].sort().join('') + EOS };
    },
  },
  /** Recall the value of a key from a list of n pairs: "ab:12;cd:34?cd=" → "34." */
  'kv-recall': {
    name: 'kv-recall',
    symbols: 'abcdefghijklmnopqrstuvwxyz0123456789:;?',
    make: (rng, n, _sym, sep) => {
      const keys = distinctKeys(rng, Math.min(n, 676));
      const vals = keys.map(() => String(rng.int(10)) + String(rng.int(10)));
      const q = rng.int(keys.length);
      return { prompt: keys.map((k, i) => `${k}:${vals[i]}`).join(';') + `?${keys[q]}${sep}`, response: vals[q]! + EOS };
    },
  },
  /**
   * Add two n-digit numbers, every number written least-significant digit first (so the carry
   * flows left to right, the way the model reads), the sum always n + 1 digits:
   * 57 + 68 = 125 is "75+86=" → "521.", and 12 + 34 = 046 is "21+43=" → "640."
   */
  add: {
    name: 'add',
    symbols: '0123456789+',
    make: (rng, n, _sym, sep) => {
      const a = digits(rng, n);
      const b = digits(rng, n);
      const sum = (BigInt(a) + BigInt(b)).toString().padStart(n + 1, '0');
      return { prompt: `${reversed(a)}+${reversed(b)}${sep}`, response: reversed(sum) + EOS };
    },
  },
  /**
   * Follow a cycle: the prompt lists n distinct symbols (a cycle: each one's successor is the next,
   * the last one's the first) and then a start symbol; the response walks the cycle from there for
   * 2n steps: "dbeac=e" → "acdbeacdbe.". Each step looks up where the previous output symbol
   * stands in the list, so one wrong step puts every later one on the wrong place of the cycle.
   */
  cycle: {
    name: 'cycle',
    symbols: 'abcdefghijklmnop',
    make: (rng, n, sym, sep) => {
      const pool = [...sym];
      const size = Math.min(n, pool.length); // fixed before the draws shrink the pool
      const list: string[] = [];
      for (let i = 0; i < size; i++) list.push(pool.splice(rng.int(pool.length), 1)[0]!);
      const s = rng.int(list.length);
      let out = '';
      for (let t = 1; t <= 2 * list.length; t++) out += list[(s + t) % list.length];
      return { prompt: list.join('') + sep + list[s], response: out + EOS };
    },
  },
  /**
   * Running sum mod 10 of n digits: output i is (d1 + … + di) mod 10, "3141=" → "3489.". Each
   * output digit is the previous one plus one input digit, so a wrong digit makes every later one
   * wrong unless the model re-derives the sum from the input: errors compound along the output.
   */
  'running-sum': {
    name: 'running-sum',
    symbols: '0123456789',
    make: (rng, n, _sym, sep) => {
      let s = '';
      let out = '';
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const d = rng.int(10);
        s += String(d);
        sum = (sum + d) % 10;
        out += String(sum);
      }
      return { prompt: s + sep, response: out + EOS };
    },
  },
};

export interface TaskConfig {
  task: keyof typeof TASKS;
  /** Other tasks (same alphabet) drawn in turn with `task`, one task per batch: for pretraining mixes. */
  mix?: (keyof typeof TASKS)[];
  /** The characters strings are drawn from, when not the task's own (copy, reverse, sort). */
  symbols?: string;
  /** The mark that ends a prompt (default SEP, "="). */
  sep?: string;
  /** The tokenizer's alphabet, when not the task's symbols + separator + EOS (e.g. a corpus base's). */
  alphabet?: string;
  /** Use the prepared corpus's alphabet (the speech base's tokenizer); the host fills `alphabet`. */
  corpusAlphabet?: boolean;
  /** An imported model's vocabulary a character at a time (CharwiseTokenizer), instead of an alphabet of ours. */
  tokenizer?: Tokenizer;
  /** Input lengths seen in training (inclusive range). */
  trainLengths: [number, number];
  /** Input lengths of the test set: up to and beyond the training range. */
  testLengths: number[];
  /** Test examples per length. */
  testPerLength: number;
  /** Seed of the test set: part of the task, so every run, seed and the teacher's evaluation score the same examples. */
  testSeed: number;
  /**
   * Share of the input space kept for testing (0…1): an input (a prompt) belongs to the test
   * side when a hash of it falls in that share, whatever the task that draws it, so training
   * never sees a test input. Unset: train and test are drawn from one space (a preset says why).
   */
  holdOut?: number;
}

const symbolsOf = (cfg: TaskConfig, t: string) => (t === cfg.task && cfg.symbols) || TASKS[t]!.symbols;
const sepOf = (cfg: TaskConfig) => cfg.sep ?? SEP;

export function taskTokenizer(cfg: TaskConfig): Tokenizer {
  if (cfg.tokenizer) {
    if (cfg.tokenizer.kind !== 'char') throw new Error(`task ${cfg.task}: takes one token per character (a CharwiseTokenizer), not a subword tokenizer`);
    for (const t of [cfg.task, ...(cfg.mix ?? [])]) {
      for (const c of new Set(symbolsOf(cfg, t) + sepOf(cfg) + EOS)) cfg.tokenizer.id(c); // each must be one token: an error names it
    }
    return cfg.tokenizer;
  }
  if (cfg.corpusAlphabet && !cfg.alphabet) throw new Error(`task ${cfg.task}: needs the prepared corpus's alphabet (run npm run prepare-data)`);
  for (const t of cfg.mix ?? []) {
    if (!cfg.alphabet && symbolsOf(cfg, t) !== symbolsOf(cfg, cfg.task)) throw new Error(`task mix: ${t} and ${cfg.task} use different alphabets`);
  }
  if (!cfg.alphabet) return new CharTokenizer(symbolsOf(cfg, cfg.task) + sepOf(cfg) + EOS);
  for (const t of [cfg.task, ...(cfg.mix ?? [])]) {
    const missing = [...new Set(symbolsOf(cfg, t) + sepOf(cfg) + EOS)].filter((c) => !cfg.alphabet!.includes(c));
    if (missing.length) throw new Error(`task ${t}: the alphabet lacks ${JSON.stringify(missing.join(''))}`);
  }
  return new CharTokenizer(cfg.alphabet);
}

/** Longest prompt + response (in tokens) the task produces: the model's context must hold it. */
export function maxSequenceLength(cfg: TaskConfig): number {
  const longest = Math.max(cfg.trainLengths[1], ...cfg.testLengths);
  let most = 0;
  for (const t of [cfg.task, ...(cfg.mix ?? [])]) {
    const ex = TASKS[t]!.make(new Rng(1), longest, symbolsOf(cfg, t), sepOf(cfg));
    most = Math.max(most, [...ex.prompt].length + [...ex.response].length);
  }
  return most;
}

/** Whether an input (a prompt) is on the test side of a `share` held out: a hash of the whole prompt, mixed so that every bit counts. */
export function isHeldOut(prompt: string, share: number): boolean {
  return mix32(hashString(prompt)) / 2 ** 32 < share;
}

/** Draws before giving up on one side of the split: a share so small (or a length so short) that one side is (nearly) empty. */
const MAX_DRAWS = 100_000;

/** One example of `n` symbols on the wanted side of the task's hold-out (any example where it has none). */
function drawSide(cfg: TaskConfig, name: string, rng: Rng, n: number, test: boolean): Example {
  const make = () => TASKS[name]!.make(rng, n, symbolsOf(cfg, name), sepOf(cfg));
  if (cfg.holdOut === undefined) return make();
  for (let i = 0; i < MAX_DRAWS; i++) {
    const ex = make();
    if (isHeldOut(ex.prompt, cfg.holdOut) === test) return ex;
  }
  throw new Error(`task ${name}: no ${test ? 'held-out' : 'training'} input of length ${n} in ${MAX_DRAWS} draws (hold-out share ${cfg.holdOut})`);
}

/** A batch of B examples of one input length (drawn from the training range), none of them a held-out input. */
export function trainBatch(cfg: TaskConfig, rng: Rng, B: number): Example[] {
  const [lo, hi] = cfg.trainLengths;
  const n = lo + rng.int(hi - lo + 1);
  const names = cfg.mix?.length ? [cfg.task, ...cfg.mix] : [cfg.task];
  const name = names.length > 1 ? names[rng.int(names.length)]! : cfg.task;
  return Array.from({ length: B }, () => drawSide(cfg, name, rng, n, false));
}

/** The fixed test set, grouped by input length, from the task's own seed (held-out inputs only, where the task holds some out). */
export function testSet(cfg: TaskConfig): { length: number; examples: Example[] }[] {
  return cfg.testLengths.map((n) => {
    const rng = Rng.derive(cfg.testSeed, `test/${cfg.task}/${n}`);
    return { length: n, examples: Array.from({ length: cfg.testPerLength }, () => drawSide(cfg, cfg.task, rng, n, true)) };
  });
}
