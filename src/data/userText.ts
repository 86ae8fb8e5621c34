/**
 * Checks on a text file a person gives the app to distill on. It is refused, with a message that
 * says why, when it is empty, binary, too large, or too short to cut training and held-out windows
 * from. An accepted text is normalised like the corpora.
 */
import { normalizeText } from './normalize';

export const MAX_USER_TEXT_BYTES = 5 * 1024 * 1024;

export class UserTextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserTextError';
  }
}

/** Validates and decodes the bytes of a user's .txt file; `minChars` is what the run's windows need. */
export function checkUserText(bytes: Uint8Array, name: string, minChars: number): string {
  if (bytes.length === 0) throw new UserTextError(`${name} is empty.`);
  if (bytes.length > MAX_USER_TEXT_BYTES) {
    throw new UserTextError(`${name} is ${(bytes.length / 1048576).toFixed(1)} MB; the limit is ${MAX_USER_TEXT_BYTES / 1048576} MB.`);
  }
  const head = bytes.subarray(0, Math.min(bytes.length, 65536));
  if (head.includes(0)) throw new UserTextError(`${name} looks binary (it contains NUL bytes), not a text file.`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UserTextError(`${name} is not UTF-8 text.`);
  }
  let control = 0;
  for (const ch of text.slice(0, 65536)) {
    const c = ch.codePointAt(0)!;
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || (c >= 127 && c < 160)) control++;
  }
  if (control > 0.01 * Math.min(text.length, 65536)) throw new UserTextError(`${name} looks binary (${control} control characters), not a text file.`);
  const clean = normalizeText(text);
  if (clean.length < minChars) throw new UserTextError(`${name} has ${clean.length} characters of text after clean-up; a run needs at least ${minChars}.`);
  return clean;
}

/** Splits a text into training and held-out parts (the last `heldOut` share), at a line break when one is near. */
export function splitUserText(text: string, heldOut = 0.1): { train: string; test: string } {
  let cut = Math.floor(text.length * (1 - heldOut));
  const nl = text.lastIndexOf('\n', cut);
  if (nl > cut - 2000 && nl > 0) cut = nl + 1;
  return { train: text.slice(0, cut), test: text.slice(cut) };
}
