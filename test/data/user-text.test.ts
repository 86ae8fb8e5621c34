/** Users' own text files: decoding by byte-order mark, the binary and size checks, and the share of characters outside the model's alphabet. */
import { expect, test } from 'vitest';
import { MAX_UNKNOWN_SHARE, MAX_USER_TEXT_BYTES, UserTextError, checkUserText, unknownShare } from '../../src/data/userText';

const ALPHABET = '\n !"\',.-0123456789:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MIN = 1000;

/** A few thousand characters of ASCII text, all in ALPHABET, already normalised (no trailing spaces, no edge whitespace). */
const TEXT = Array.from({ length: 60 }, (_, i) => `Line ${i}: "The quick brown fox", she said; it's ${i * 7 % 13} past - jumps over the lazy dog?`).join('\n');

const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const utf8Bom = (s: string): Uint8Array => new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(s, 'utf8')]));
const utf16le = (s: string): Uint8Array => new Uint8Array(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]));
/** UTF-16 BE with its mark: the LE code units with each pair of bytes swapped. */
const utf16be = (s: string): Uint8Array => new Uint8Array(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(s, 'utf16le').swap16()]));

/** The error message `f` throws, failing the test when it throws none or something other than a UserTextError. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserTextError);
    return (e as Error).message;
  }
  throw new Error('expected a UserTextError, none was thrown');
}

/** An independent count of the share of code points outside ALPHABET, to check messages against. */
const shareOf = (s: string): number => [...s].filter((c) => !ALPHABET.includes(c)).length / [...s].length;

test('the test text is a few thousand characters, all in the alphabet', () => {
  expect(TEXT.length).toBeGreaterThan(3000);
  expect(shareOf(TEXT)).toBe(0);
});

test('UTF-8 without a byte-order mark decodes to the text, with nothing unknown', () => {
  expect(checkUserText(utf8(TEXT), 'a.txt', MIN, ALPHABET)).toEqual({ text: TEXT, unknownShare: 0, unknown: '' });
});

test('UTF-8 with a byte-order mark decodes to the same text, the mark stripped', () => {
  const r = checkUserText(utf8Bom(TEXT), 'a.txt', MIN, ALPHABET);
  expect(r.text).toBe(TEXT);
  expect(r.text.charCodeAt(0)).not.toBe(0xfeff);
  expect(r.unknownShare).toBe(0);
});

test('UTF-16 LE and BE with a byte-order mark decode to the same text as UTF-8', () => {
  const fromUtf8 = checkUserText(utf8(TEXT), 'a.txt', MIN, ALPHABET);
  for (const bytes of [utf16le(TEXT), utf16be(TEXT)]) {
    expect(bytes.includes(0)).toBe(true); // the NUL bytes that used to get these refused as binary
    expect(checkUserText(bytes, 'a.txt', MIN, ALPHABET)).toEqual(fromUtf8);
  }
  // Non-ASCII and a surrogate pair (an emoji) come through too, the same in all four encodings.
  const mixed = `${TEXT}\nCaf\u00e9 \u{1F600} na\u00efve`;
  const expected = checkUserText(utf8(mixed), 'm.txt', MIN, ALPHABET);
  expect(expected.text).toBe(mixed);
  expect(expected.unknown).toBe('\u00e9\u{1F600}\u00ef');
  for (const enc of [utf8Bom, utf16le, utf16be]) expect(checkUserText(enc(mixed), 'm.txt', MIN, ALPHABET)).toEqual(expected);
});

test('a damaged UTF-16 file (lone surrogate, odd byte count) is refused as not UTF-16 text', () => {
  const half = Math.floor(TEXT.length / 2);
  const lone = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT.slice(0, half), 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from(TEXT.slice(half), 'utf16le')]);
  expect(refusal(() => checkUserText(new Uint8Array(lone), 'lone-le.txt', MIN, ALPHABET))).toBe('lone-le.txt is not UTF-8 or UTF-16 text.');
  const loneBe = Buffer.from(lone.subarray(2)).swap16();
  expect(refusal(() => checkUserText(new Uint8Array(Buffer.concat([Buffer.from([0xfe, 0xff]), loneBe])), 'lone-be.txt', MIN, ALPHABET))).toBe(
    'lone-be.txt is not UTF-8 or UTF-16 text.',
  );
  // A low surrogate with no high one before it.
  expect(refusal(() => checkUserText(utf16le(`${TEXT}\udc00`), 'low.txt', MIN, ALPHABET))).toMatch(/not UTF-8 or UTF-16 text/);
  for (const enc of [utf16le, utf16be]) {
    const bytes = enc(TEXT);
    expect(refusal(() => checkUserText(bytes.subarray(0, bytes.length - 1), 'odd.txt', MIN, ALPHABET))).toBe('odd.txt is not UTF-8 or UTF-16 text.');
  }
  // Invalid UTF-8 without a mark gets the same message.
  expect(refusal(() => checkUserText(new Uint8Array([0x41, 0xc3, 0x28, 0x42]), 'bad.txt', 1, ALPHABET))).toBe('bad.txt is not UTF-8 or UTF-16 text.');
});

test('empty, too large, binary, control characters and too short are still refused', () => {
  expect(refusal(() => checkUserText(new Uint8Array(0), 'e.txt', 10, ALPHABET))).toBe('e.txt is empty.');
  expect(refusal(() => checkUserText(new Uint8Array(MAX_USER_TEXT_BYTES + 1).fill(65), 'big.txt', 1, ALPHABET))).toMatch(/big.txt is 5\.0 MB; the limit is 5 MB/);
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  expect(refusal(() => checkUserText(png, 'p.png', 1, ALPHABET))).toMatch(/p.png looks binary/);
  // Valid UTF-8 with NUL characters in it is binary too.
  expect(refusal(() => checkUserText(utf8(`abc\0def${TEXT}`), 'n.txt', 1, ALPHABET))).toMatch(/n.txt looks binary \(it contains NUL bytes\)/);
  // UTF-16 without a mark is not guessed at: its NUL bytes get it refused as binary.
  expect(refusal(() => checkUserText(new Uint8Array(Buffer.from(TEXT, 'utf16le')), 'nobom.txt', MIN, ALPHABET))).toMatch(/nobom.txt looks binary/);
  expect(refusal(() => checkUserText(utf8('\u0001\u0002\u0003abc'.repeat(100)), 'c.txt', 1, ALPHABET))).toMatch(/c.txt looks binary \(300 control characters\)/);
  // Control characters are counted after decoding, so a UTF-16 file with them is refused the same way.
  expect(refusal(() => checkUserText(utf16le('\u0001\u0002\u0003abc'.repeat(100)), 'c16.txt', 1, ALPHABET))).toMatch(/c16.txt looks binary \(300 control characters\)/);
  expect(refusal(() => checkUserText(utf8('short'), 's.txt', 100, ALPHABET))).toBe('s.txt has 5 characters of text after clean-up; a run needs at least 100.');
  expect(refusal(() => checkUserText(utf16be('short'), 's16.txt', 100, ALPHABET))).toMatch(/has 5 characters.*at least 100/);
  expect(checkUserText(utf8('x'), 'x.txt', 1, ALPHABET).text).toBe('x');
});

test('a text that is mostly emoji is refused, with the share and examples in the message', () => {
  const emoji = '\u{1F600}\u{1F603}\u{1F642} '.repeat(1000).trim(); // 3000 emoji and 999 spaces: 75%
  expect(Math.round(shareOf(emoji) * 100)).toBe(75);
  expect(refusal(() => checkUserText(utf8(emoji), 'e.txt', MIN, ALPHABET))).toBe(
    `e.txt: 75% of its characters are outside the model's alphabet (e.g. "\u{1F600}\u{1F603}\u{1F642}"); at most 10% may be, or the model trains on replacement tokens.`,
  );
  // The same refusal from UTF-16: the emoji are surrogate pairs there, still one character each.
  expect(refusal(() => checkUserText(utf16le(emoji), 'e16.txt', MIN, ALPHABET))).toMatch(/^e16.txt: 75% of its characters/);
});

test('a text that is mostly Hebrew or Arabic script is refused, with the share in the message', () => {
  const hebrew = '\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd, \u05d6\u05d4 \u05d8\u05e7\u05e1\u05d8 \u05d1\u05e2\u05d1\u05e8\u05d9\u05ea.\n'.repeat(100).trim();
  const arabic = '\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645\u060c \u0647\u0630\u0627 \u0646\u0635 \u0639\u0631\u0628\u064a.\n'.repeat(100).trim();
  for (const [name, text, letter] of [
    ['he.txt', hebrew, '\u05e9'],
    ['ar.txt', arabic, '\u0645'],
  ] as const) {
    const share = shareOf(text);
    expect(share).toBeGreaterThan(0.6);
    const msg = refusal(() => checkUserText(utf8(text), name, MIN, ALPHABET));
    expect(msg).toContain(`${name}: ${Math.round(share * 100)}% of its characters are outside the model's alphabet (e.g. "`);
    expect(msg).toContain(letter);
    expect(msg).toMatch(/at most 10% may be, or the model trains on replacement tokens\.$/);
    // Read as UTF-16 BE it is refused the same way.
    expect(refusal(() => checkUserText(utf16be(text), name, MIN, ALPHABET))).toBe(msg);
  }
});

/**
 * `n` characters (a multiple of 50) of TEXT, ending in a full stop so clean-up trims nothing, with
 * every 50th one (at offset 25) replaced by ü, é, €, é, é in turn: exactly 2% unknown, the most frequent (é) not the first to appear.
 */
function withUnknown(n: number): string {
  const cycle = ['\u00fc', '\u00e9', '\u20ac', '\u00e9', '\u00e9'];
  return [...`${TEXT.slice(0, n - 1)}.`].map((c, i) => (i % 50 === 25 ? cycle[(i - 25) / 50 % cycle.length]! : c)).join('');
}

test('a text with 2% unknown characters is accepted and reports the share and the characters, most frequent first', () => {
  const text = withUnknown(3000);
  const r = checkUserText(utf8(text), 'two.txt', MIN, ALPHABET);
  expect(r.text).toBe(text);
  expect(r.unknownShare).toBeCloseTo(0.02, 10);
  expect(r.unknown).toBe('\u00e9\u00fc\u20ac'); // é 36 times, ü and € 12 each (ties in order of first appearance)
  expect(checkUserText(utf16le(text), 'two.txt', MIN, ALPHABET)).toEqual(r);
});

test('the limit is exactly MAX_UNKNOWN_SHARE: 10% is accepted, just over is refused', () => {
  expect(MAX_UNKNOWN_SHARE).toBe(0.1);
  const at = `${'\u00e9'.repeat(100)}${'a'.repeat(900)}`;
  expect(checkUserText(utf8(at), 'at.txt', MIN, ALPHABET).unknownShare).toBe(0.1);
  const over = `${'\u00e9'.repeat(101)}${'a'.repeat(899)}`;
  // 10.1% would round to "10%" and read as within the limit, so it is shown with a decimal.
  expect(refusal(() => checkUserText(utf8(over), 'over.txt', MIN, ALPHABET))).toMatch(/^over.txt: 10\.1% of its characters are outside the model's alphabet \(e\.g\. "\u00e9"\)/);
});

test('unknownShare counts code points, special-cases nothing, and gives at most 12 examples', () => {
  expect(unknownShare('', ALPHABET)).toEqual({ share: 0, unknown: '' });
  expect(unknownShare('ab\u{1F600}', 'ab')).toEqual({ share: 1 / 3, unknown: '\u{1F600}' });
  // A newline is unknown when the alphabet has none, and known when it has one.
  expect(unknownShare('a\nb', 'ab')).toEqual({ share: 1 / 3, unknown: '\n' });
  expect(unknownShare('a\nb', 'ab\n')).toEqual({ share: 0, unknown: '' });
  // An alphabet with characters outside the BMP knows them.
  expect(unknownShare('\u{1F600}a', '\u{1F600}')).toEqual({ share: 0.5, unknown: 'a' });
  expect(unknownShare('xyyzzz', 'a').unknown).toBe('zyx');
  const many = 'zzz' + 'ABCDEFGHIJKLMNOPQRSTUVWXY';
  const r = unknownShare(many, 'a');
  expect(r.share).toBe(1);
  expect([...r.unknown]).toHaveLength(12);
  expect(r.unknown).toBe('zABCDEFGHIJK');
});

test('unknownShare is fast on a 5 MB text', () => {
  const big = withUnknown(3000).repeat(Math.ceil((5 * 1024 * 1024) / 3000));
  const t0 = performance.now();
  const r = unknownShare(big, ALPHABET);
  expect(performance.now() - t0).toBeLessThan(2000);
  expect(r.share).toBeCloseTo(0.02, 6);
});
