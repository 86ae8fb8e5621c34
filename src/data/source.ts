/**
 * Where a run's examples come from: a synthetic task or windows of a text corpus, behind one
 * interface, the same in Node and in the browser (the host reads the corpus files).
 */
import { Rng } from '../model/rng';
import { continuationExample, lmExample } from './corpus';
import { EOS, type Example, type TaskConfig, maxSequenceLength, taskTokenizer, testSet, trainBatch } from './tasks';
import { CharTokenizer, type Tokenizer } from './tokenizer';

export interface TestGroup {
  /** Input length (task) or response length (corpus) of this group. */
  length: number;
  examples: Example[];
  beyondTraining: boolean;
}

export interface DataSource {
  tokenizer: Tokenizer;
  /** The end-of-response mark, or null when responses simply stop (corpus continuations). */
  eos: string | null;
  /** What ROUGE-L counts: characters (synthetic tasks) or words (text). */
  rougeUnit: 'chars' | 'words';
  /** Longest prompt + response: the model's context must hold it. */
  maxSequenceLength: number;
  /** B examples of one prompt length and one response length. */
  trainBatch(rng: Rng, B: number): Example[];
  /** B training examples of the longest length: what peak-memory measurements run on. */
  longestBatch(rng: Rng, B: number): Example[];
  /** The held-out set: fixed by the source's own test seed, the same for every run on it. */
  testSet(): TestGroup[];
  /** Task sources: the same task and test set, with training strings of lengths `range` (inclusive). */
  withTrainLengths?(range: [number, number]): DataSource;
}

export function taskSource(cfg: TaskConfig): DataSource {
  return {
    tokenizer: taskTokenizer(cfg),
    eos: EOS,
    rougeUnit: 'chars',
    maxSequenceLength: maxSequenceLength(cfg),
    trainBatch: (rng, B) => trainBatch(cfg, rng, B),
    longestBatch: (rng, B) => trainBatch({ ...cfg, trainLengths: [cfg.trainLengths[1], cfg.trainLengths[1]] }, rng, B),
    testSet: () => testSet(cfg).map((g) => ({ ...g, beyondTraining: g.length > cfg.trainLengths[1] })),
    withTrainLengths([lo, hi]) {
      const longest = Math.max(cfg.trainLengths[1], ...cfg.testLengths);
      if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && lo <= hi && hi <= longest)) throw new Error(`training lengths ${lo}…${hi} must lie in 1…${longest}`);
      return { ...taskSource(cfg), trainBatch: (rng, B) => trainBatch({ ...cfg, trainLengths: [lo, hi] }, rng, B) };
    },
  };
}

export interface CorpusConfig {
  /** Training and held-out text (already normalised). */
  train: string;
  heldOut: string;
  alphabet: string;
  /**
   * A model's own tokenizer (an imported model's), instead of characters over `alphabet`. A
   * subword one cuts the windows in its ids: `window` and `promptLength` count tokens then.
   */
  tokenizer?: Tokenizer;
  /** lm: loss on every position of `window` characters; continue: prompt → continuation. */
  mode: 'lm' | 'continue';
  window: number;
  /** continue: characters of prompt (the rest of the window is the response). */
  promptLength?: number;
  /** Held-out examples. */
  testExamples: number;
  /** Seed of the held-out windows (part of the preset: every run and the teacher's evaluation score the same ones). */
  testSeed: number;
}

export function corpusSource(c: CorpusConfig): DataSource {
  const P = c.promptLength ?? 1;
  const tokenizer = c.tokenizer ?? new CharTokenizer(c.alphabet);
  const make = tokenizer.kind === 'subword' ? idWindows(tokenizer, c.window, P) : (text: string, rng: Rng) => (c.mode === 'lm' ? lmExample(text, rng, c.window) : continuationExample(text, rng, P, c.window - P));
  return {
    tokenizer,
    eos: null,
    rougeUnit: 'words',
    maxSequenceLength: c.window,
    trainBatch: (rng, B) => Array.from({ length: B }, () => make(c.train, rng)),
    longestBatch: (rng, B) => Array.from({ length: B }, () => make(c.train, rng)),
    testSet: () => {
      const rng = Rng.derive(c.testSeed, 'corpus-test');
      return [{ length: c.window - P, examples: Array.from({ length: c.testExamples }, () => make(c.heldOut, rng)), beyondTraining: false }];
    },
  };
}

/**
 * Examples cut from a text's ids under a subword tokenizer: `window` ids, the first `P` the
 * prompt. Each text is encoded once, on first use.
 */
function idWindows(tokenizer: Tokenizer, window: number, P: number): (text: string, rng: Rng) => Example {
  const encoded = new Map<string, number[]>();
  return (text, rng) => {
    let ids = encoded.get(text);
    if (!ids) {
      ids = tokenizer.encode(text);
      encoded.set(text, ids);
    }
    if (ids.length < window) throw new Error(`corpus: a text of ${ids.length} tokens is shorter than a window of ${window}`);
    const start = rng.int(ids.length - window + 1);
    const prompt = ids.slice(start, start + P);
    const response = ids.slice(start + P, start + window);
    return { prompt: tokenizer.decode(prompt), response: tokenizer.decode(response), ids: { prompt, response } };
  };
}
