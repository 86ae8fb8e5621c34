/**
 * The text corpora (written to public/data/ by scripts/prepare-data.ts): their split rules, the
 * manifest, and windows of text turned into examples, the same in Node and in the browser.
 */
import { Rng } from '../model/rng';
import type { Example } from './tasks';

export const DATA_DIR_NAME = 'data';
export const SPLITS = ['train', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** Speeches by year: test = year % 10 == 7, val = year % 10 == 3, train = the rest. */
export function splitOfYear(year: number): Split {
  return year % 10 === 7 ? 'test' : year % 10 === 3 ? 'val' : 'train';
}

/** Chapters by number the same way; front and back matter (negative or ≥ 1000) train. */
export function splitOfChapter(n: number): Split {
  if (n < 1 || n >= 1000) return 'train';
  return n % 10 === 7 ? 'test' : n % 10 === 3 ? 'val' : 'train';
}

export interface DataManifest {
  version: 1;
  sources: Record<string, string>;
  normalisation: string;
  split: Record<string, string>;
  documentSeparator: string;
  files: Record<string, { bytes: number; chars: number; documents: number; sha256: string; ids: string[] }>;
  /** Every character of the training speeches, in code-point order: the corpus tokenizer's alphabet. */
  alphabet: string;
}

/** A random window of `length` characters (code units of plain ASCII-ish text). */
export function randomWindow(text: string, rng: Rng, length: number): string {
  if (text.length < length) throw new Error(`corpus: text of ${text.length} characters is shorter than a window of ${length}`);
  const start = rng.int(text.length - length + 1);
  return text.slice(start, start + length);
}

/**
 * A language-modelling example: the loss covers every position but the first (prompt = one
 * character, response = the rest).
 */
export function lmExample(text: string, rng: Rng, length: number): Example {
  const w = randomWindow(text, rng, length);
  return { prompt: w.slice(0, 1), response: w.slice(1) };
}

/** A continuation example: the model reads `promptLength` characters and continues `responseLength`. */
export function continuationExample(text: string, rng: Rng, promptLength: number, responseLength: number): Example {
  const w = randomWindow(text, rng, promptLength + responseLength);
  return { prompt: w.slice(0, promptLength), response: w.slice(promptLength) };
}
