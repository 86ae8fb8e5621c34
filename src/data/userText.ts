/**
 * Checks on a text file a person gives the app to distill on. It is refused, with a message that
 * says why, when it is empty, binary, too large, not UTF-8 or UTF-16, too short to cut training and
 * held-out windows from, or mostly made of characters the model's tokenizer does not have. An
 * accepted text is normalised like the corpora.
 */
import { normalizeText } from './normalize';

export const MAX_USER_TEXT_BYTES = 5 * 1024 * 1024;

/**
 * The largest share of a text's characters that may fall outside the model's alphabet. Each such
 * character becomes the tokenizer's replacement token; past this share the model would mostly learn
 * to predict replacement tokens, and its loss and samples would say little about the text.
 */
export const MAX_UNKNOWN_SHARE = 0.1;

/** How many of the text's head characters the binary checks look at; a text file shows itself early. */
const HEAD_CHARS = 65536;

/** How many distinct unknown characters `unknownShare` reports, for the message. */
const UNKNOWN_EXAMPLES = 12;

export class UserTextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserTextError';
  }
}

/**
 * The encoding a file's byte-order mark names, and the mark's length. Without a mark the file is
 * taken as UTF-8: UTF-16 without a mark is not guessed at (its ASCII halves are NUL bytes, so it is
 * refused as binary further on).
 */
function sniffEncoding(bytes: Uint8Array): { label: 'utf-8' | 'utf-16le' | 'utf-16be'; bom: number } {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { label: 'utf-8', bom: 3 };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return { label: 'utf-16le', bom: 2 };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return { label: 'utf-16be', bom: 2 };
  return { label: 'utf-8', bom: 0 };
}

/**
 * The share of `text`'s characters (code points, as `[...text]` counts them) that are not in
 * `alphabet`, and up to 12 distinct such characters, most frequent first, joined into one string.
 * Nothing is special-cased: a newline is unknown when the alphabet lacks one. One pass with a Set of
 * the alphabet's code points, so a 5 MB text takes milliseconds.
 */
export function unknownShare(text: string, alphabet: string): { share: number; unknown: string } {
  const known = new Set<number>();
  for (const ch of alphabet) known.add(ch.codePointAt(0)!);
  const counts = new Map<number, number>();
  let total = 0;
  let missing = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    if (c > 0xffff) i++; // the low half of a surrogate pair; one code point, as [...text] counts
    total++;
    if (!known.has(c)) {
      missing++;
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
  }
  // Stable sort: ties keep the order of first appearance.
  const unknown = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, UNKNOWN_EXAMPLES)
    .map(([c]) => String.fromCodePoint(c))
    .join('');
  return { share: total === 0 ? 0 : missing / total, unknown };
}

/**
 * Validates and decodes the bytes of a user's .txt file; `minChars` is what the run's windows need
 * and `alphabet` is the model tokenizer's. The encoding comes from the byte-order mark (UTF-8 with or
 * without one, UTF-16 LE or BE with one), decoded strictly so that a damaged file is refused rather
 * than read with replacement characters; the mark is not part of the text. The binary checks run on
 * the decoded text, since UTF-16 text is full of NUL bytes. Returns the normalised text with the
 * share of its characters outside `alphabet` and examples of them (see `unknownShare`), so the caller
 * can warn about a share that is accepted but not small.
 */
export function checkUserText(
  bytes: Uint8Array,
  name: string,
  minChars: number,
  alphabet: string,
): { text: string; unknownShare: number; unknown: string } {
  if (bytes.length === 0) throw new UserTextError(`${name} is empty.`);
  if (bytes.length > MAX_USER_TEXT_BYTES) {
    throw new UserTextError(`${name} is ${(bytes.length / 1048576).toFixed(1)} MB; the limit is ${MAX_USER_TEXT_BYTES / 1048576} MB.`);
  }
  const { label, bom } = sniffEncoding(bytes);
  let text: string;
  try {
    text = new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(bom));
  } catch {
    // A file with no mark that fails as UTF-8 and has NUL bytes is most likely binary (an image, a
    // zip); saying so is more use than an encoding complaint.
    if (bom === 0 && bytes.subarray(0, HEAD_CHARS).includes(0)) {
      throw new UserTextError(`${name} looks binary (it contains NUL bytes), not a text file.`);
    }
    throw new UserTextError(`${name} is not UTF-8 or UTF-16 text.`);
  }
  const head = text.slice(0, HEAD_CHARS);
  if (head.includes('\0')) throw new UserTextError(`${name} looks binary (it contains NUL bytes), not a text file.`);
  let control = 0;
  for (const ch of head) {
    const c = ch.codePointAt(0)!;
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || (c >= 127 && c < 160)) control++;
  }
  if (control > 0.01 * head.length) throw new UserTextError(`${name} looks binary (${control} control characters), not a text file.`);
  const clean = normalizeText(text);
  if (clean.length < minChars) throw new UserTextError(`${name} has ${clean.length} characters of text after clean-up; a run needs at least ${minChars}.`);
  const { share, unknown } = unknownShare(clean, alphabet);
  if (share > MAX_UNKNOWN_SHARE) {
    // Rounded to a whole percent unless that would read as within the limit (10.4% → "10.4%").
    const pct = Math.round(share * 100) > MAX_UNKNOWN_SHARE * 100 ? `${Math.round(share * 100)}` : (share * 100).toFixed(1);
    throw new UserTextError(
      `${name}: ${pct}% of its characters are outside the model's alphabet (e.g. ${JSON.stringify(unknown)}); ` +
        `at most ${Math.round(MAX_UNKNOWN_SHARE * 100)}% may be, or the model trains on replacement tokens.`,
    );
  }
  return { text: clean, unknownShare: share, unknown };
}

/** Splits a text into training and held-out parts (the last `heldOut` share), at a line break when one is near. */
export function splitUserText(text: string, heldOut = 0.1): { train: string; test: string } {
  let cut = Math.floor(text.length * (1 - heldOut));
  const nl = text.lastIndexOf('\n', cut);
  if (nl > cut - 2000 && nl > 0) cut = nl + 1;
  return { train: text.slice(0, cut), test: text.slice(cut) };
}
