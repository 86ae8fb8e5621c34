/** Tokenizer, tasks, text normalisation, corpus splits, users' files. */
import { describe, expect, test } from 'vitest';
import { lmExample, continuationExample, splitOfChapter, splitOfYear } from '../../src/data/corpus';
import { normalizeText } from '../../src/data/normalize';
import { EOS, SEP, TASKS, type TaskConfig, isHeldOut, maxSequenceLength, taskTokenizer, testSet, trainBatch } from '../../src/data/tasks';
import { CharTokenizer, REPLACEMENT } from '../../src/data/tokenizer';
import { MAX_USER_TEXT_BYTES, UserTextError, checkUserText } from '../../src/data/userText';
import { Rng } from '../../src/model/rng';

describe('character tokenizer', () => {
  const tok = new CharTokenizer('abc .');
  test('encode → decode round-trips; id 0 is the replacement token', () => {
    expect(tok.vocabSize).toBe(6);
    expect(tok.encode('ab c.')).toEqual([1, 2, 4, 3, 5]);
    expect(tok.decode(tok.encode('cab. a'))).toBe('cab. a');
    expect(tok.alphabet[0]).toBe(REPLACEMENT);
  });
  test('a character outside the alphabet maps to the replacement token, never a crash', () => {
    expect(tok.encode('aXb😀')).toEqual([1, 0, 2, 0]);
    expect(tok.decode([1, 0, 99])).toBe(`a${REPLACEMENT}${REPLACEMENT}`);
  });
  test('bad alphabets are refused', () => {
    expect(() => new CharTokenizer('aa')).toThrow(/repeats/);
    expect(() => new CharTokenizer(`a${REPLACEMENT}`)).toThrow(/U\+FFFD/);
  });
});

describe('tasks', () => {
  const cfg = (task: string, over: Partial<TaskConfig> = {}): TaskConfig => ({ task, trainLengths: [3, 5], testLengths: [4, 9], testPerLength: 5, testSeed: 9, ...over });
  test('gold answers', () => {
    const r = new Rng(1);
    const rev = TASKS.reverse!.make(r, 5, 'abcdefgh', SEP);
    expect(rev.response).toBe([...rev.prompt.slice(0, -1)].reverse().join('') + EOS);
    const srt = TASKS.sort!.make(r, 6, 'abcdefgh', SEP);
    expect(srt.response).toBe([...srt.prompt.slice(0, -1)].sort().join('') + EOS);
    const cp = TASKS.copy!.make(r, 4, 'abcdefgh', SEP);
    expect(cp.response).toBe(cp.prompt.replace(SEP, EOS));
    const kv = TASKS['kv-recall']!.make(r, 7, '', '=');
    const [list, q] = kv.prompt.slice(0, -1).split('?');
    const pairs = Object.fromEntries(list!.split(';').map((p) => p.split(':')));
    expect(Object.keys(pairs)).toHaveLength(7);
    expect(kv.response).toBe(pairs[q!] + EOS);
    const add = TASKS.add!.make(r, 6, '', '=');
    const [a, b] = add.prompt.slice(0, -1).split('+').map((x) => BigInt([...x!].reverse().join('')));
    expect(BigInt([...add.response.slice(0, -1)].reverse().join(''))).toBe(a! + b!);
    expect(add.response).toHaveLength(6 + 1 + 1);
    for (const n of [3, 8, 12, 16]) {
      const cyc = TASKS.cycle!.make(new Rng(n), n, 'abcdefghijklmnop', SEP);
      const [list, start] = cyc.prompt.split(SEP) as [string, string];
      expect(new Set(list).size, `a cycle of ${n} distinct letters`).toBe(n);
      let at = list.indexOf(start);
      const walk = Array.from({ length: 2 * n }, () => list[(at = (at + 1) % n)]).join('');
      expect(cyc.response).toBe(walk + EOS);
    }
    expect(TASKS['running-sum']!.make({ int: (() => { const d = [3, 1, 4, 1, 5]; let i = 0; return () => d[i++]!; })() } as unknown as Rng, 5, '', SEP)).toEqual({ prompt: '31415=', response: '34894.' });
  });
  test('seeded: same seed → same batch; a batch shares one length; lengths in the training range', () => {
    for (const task of Object.keys(TASKS)) {
      const a = trainBatch(cfg(task), new Rng(3), 8);
      expect(trainBatch(cfg(task), new Rng(3), 8)).toEqual(a);
      expect(trainBatch(cfg(task), new Rng(4), 8)).not.toEqual(a);
      expect(new Set(a.map((e) => `${e.prompt.length}/${e.response.length}`)).size).toBe(1);
      const tok = taskTokenizer(cfg(task));
      for (const e of a) expect(tok.encode(e.prompt + e.response)).not.toContain(0);
      const longest = Math.max(...testSet(cfg(task)).flatMap((g) => g.examples.map((e) => e.prompt.length + e.response.length)));
      expect(longest).toBeLessThanOrEqual(maxSequenceLength(cfg(task)));
    }
  });
  test('test sets: fixed by their seed, with lengths beyond training', () => {
    const t = testSet(cfg('reverse', { testSeed: 5 }));
    expect(t.map((g) => g.length)).toEqual([4, 9]);
    expect(t[1]!.examples[0]!.prompt).toHaveLength(10);
    expect(testSet(cfg('reverse', { testSeed: 5 }))).toEqual(t);
    expect(testSet(cfg('reverse', { testSeed: 6 }))).not.toEqual(t);
  });
  test('a hold-out keeps its inputs out of training: every input of length 3 on exactly one side, both sides drawn', () => {
    const held = cfg('reverse', { trainLengths: [3, 3], testLengths: [3], testPerLength: 200, holdOut: 0.125 });
    const sym = 'abcdefgh';
    const all = [...sym].flatMap((a) => [...sym].flatMap((b) => [...sym].map((c) => `${a}${b}${c}${SEP}`)));
    const heldOut = new Set(all.filter((p) => isHeldOut(p, 0.125)));
    expect(heldOut.size).toBeGreaterThan(0.125 * 512 * 0.7); // about an eighth of the 512 inputs
    expect(heldOut.size).toBeLessThan(0.125 * 512 * 1.3);
    const tests = testSet(held)[0]!.examples.map((e) => e.prompt);
    for (const p of tests) expect(heldOut.has(p), p).toBe(true);
    const rng = new Rng(2);
    const trained = new Set<string>();
    for (let i = 0; i < 600; i++) for (const e of trainBatch(held, rng, 16)) trained.add(e.prompt);
    expect(trained.size).toBe(512 - heldOut.size); // 9 600 draws reach every training input, and no held-out one
    for (const p of trained) expect(heldOut.has(p), p).toBe(false);
    // Another task drawing the same prompts (the base's copy) holds out the same inputs.
    for (const e of trainBatch({ ...held, task: 'copy' }, new Rng(3), 64)) expect(heldOut.has(e.prompt)).toBe(false);
    // A share too small for the space is refused by name, not looped on.
    expect(() => testSet(cfg('reverse', { trainLengths: [1, 1], testLengths: [1], holdOut: 1e-9 }))).toThrow(/no held-out input of length 1/);
  });
  test('an alphabet override must cover the task', () => {
    expect(taskTokenizer(cfg('reverse', { alphabet: 'abcdefgh=.xyz' })).vocabSize).toBe(14);
    expect(() => taskTokenizer(cfg('reverse', { alphabet: 'abcdefgh.' }))).toThrow(/lacks "="/);
  });
});

describe('corpus text', () => {
  test('normalisation: quotes, dashes, control characters, NFC', () => {
    expect(normalizeText('\u201CHi\u201D \u2014 it\u2019s\u2026 a\u2013b\u0002\r\nx\u00A0y e\u0301  ')).toBe('"Hi" -- it\'s... a-b\nx y \u00e9');
  });
  test('splits by speech year and chapter', () => {
    expect([1797, 1803, 1804, 2021].map(splitOfYear)).toEqual(['test', 'val', 'train', 'train']);
    expect([7, 13, 20, -2, 1000].map(splitOfChapter)).toEqual(['test', 'val', 'train', 'train', 'train']);
  });
  test('windows: LM examples cover all but the first character; continuations split prompt and reference', () => {
    const text = 'abcdefghijklmnopqrstuvwxyz';
    const lm = lmExample(text, new Rng(1), 10);
    expect(lm.prompt).toHaveLength(1);
    expect(text).toContain(lm.prompt + lm.response);
    const c = continuationExample(text, new Rng(2), 6, 4);
    expect([c.prompt.length, c.response.length]).toEqual([6, 4]);
    expect(text).toContain(c.prompt + c.response);
    expect(() => lmExample('abc', new Rng(1), 10)).toThrow(/shorter than a window/);
  });
});

describe('users’ text files', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const ABC = "Its fine. '"; // the alphabet of these texts (more cases in user-text.test.ts)
  test('a normal file is accepted and normalised', () => {
    expect(checkUserText(enc('It\u2019s fine. '.repeat(50)), 'a.txt', 100, ABC).text).toMatch(/^It's fine\./);
  });
  test('empty, binary, undecodable, oversized and too-short files are refused with a reason', () => {
    expect(() => checkUserText(new Uint8Array(0), 'e.txt', 10, ABC)).toThrow(/e.txt is empty/);
    expect(() => checkUserText(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]), 'p.png', 1, ABC)).toThrow(/looks binary/);
    expect(() => checkUserText(new Uint8Array([0x41, 0xff, 0x42]), 'l.txt', 1, ABC)).toThrow(/not UTF-8 or UTF-16/);
    expect(() => checkUserText(enc('\u0001\u0002\u0003abc'.repeat(100)), 'c.txt', 1, ABC)).toThrow(/control characters/);
    expect(() => checkUserText(new Uint8Array(MAX_USER_TEXT_BYTES + 1).fill(65), 'big.txt', 1, ABC)).toThrow(/limit is 5 MB/);
    expect(() => checkUserText(enc('short'), 's.txt', 100, ABC)).toThrow(/has 5 characters.*at least 100/);
    expect(() => checkUserText(enc('I'), 'x.txt', 1, ABC)).not.toThrow();
    try {
      checkUserText(new Uint8Array(0), 'e.txt', 1, ABC);
    } catch (e) {
      expect(e).toBeInstanceOf(UserTextError);
    }
  });
});
