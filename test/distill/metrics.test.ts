/** ROUGE-L, accuracy by position and the effective rank of a LoRA update, on hand-computed cases. */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { accuracyByPosition, chars, effectiveRank, lcsLength, rougeL, singularValuesFromGrams, symmetricEigenvalues, words } from '../../src/distill/metrics';
import { Rng } from '../../src/model/rng';

describe('ROUGE-L', () => {
  test('hand-computed cases', () => {
    // LCS("the cat sat on the mat", "the cat is on the mat") = the cat on the mat = 5 words.
    const c = words('The cat sat on the mat.');
    const r = words('the cat is on the mat');
    expect(lcsLength(c, r)).toBe(5);
    expect(rougeL(c, r)).toBeCloseTo((2 * (5 / 6) * (5 / 6)) / (5 / 6 + 5 / 6), 12);
    // Characters: LCS("abcde", "ace") = 3 → P = 3/5, R = 1, F = 2·0.6/(1.6) = 0.75.
    expect(rougeL(chars('abcde'), chars('ace'))).toBeCloseTo(0.75, 12);
    expect(rougeL(chars('abc'), chars('abc'))).toBe(1);
    expect(rougeL(chars('abc'), chars('xyz'))).toBe(0);
    // Order matters: reversed string shares only a 1-long subsequence.
    expect(rougeL(chars('abcd'), chars('dcba'))).toBeCloseTo(0.25, 12);
  });
  test('an empty candidate scores 0 without an error', () => {
    expect(rougeL([], chars('abc'))).toBe(0);
    expect(rougeL(chars('abc'), [])).toBe(0);
    expect(rougeL([], [])).toBe(0);
  });
  test('word tokens: lowercase, punctuation as spaces', () => {
    expect(words("It's  a Test-case, OK?")).toEqual(['it', 's', 'a', 'test', 'case', 'ok']);
  });
});

test('accuracy by position', () => {
  const acc = accuracyByPosition([
    { candidate: 'abc.', reference: 'abd.' },
    { candidate: 'xbd', reference: 'abd.' },
  ]);
  expect(acc).toEqual([0.5, 1, 0.5, 0.5]);
});

describe('effective rank', () => {
  test('entropy of the normalised singular values', () => {
    expect(effectiveRank([1, 1, 1, 1])).toBeCloseTo(4, 12);
    expect(effectiveRank([5, 0, 0])).toBeCloseTo(1, 12);
    expect(effectiveRank([0, 0])).toBe(0);
    const p = [0.75, 0.25];
    expect(effectiveRank([3, 1])).toBeCloseTo(Math.exp(-p[0]! * Math.log(p[0]!) - p[1]! * Math.log(p[1]!)), 12);
  });
  test('Jacobi eigenvalues of a symmetric matrix', () => {
    const ev = symmetricEigenvalues([2, 1, 0, 1, 2, 0, 0, 0, 5], 3).sort((a, b) => a - b);
    expect(ev[0]).toBeCloseTo(1, 10);
    expect(ev[1]).toBeCloseTo(3, 10);
    expect(ev[2]).toBeCloseTo(5, 10);
  });
  test('singular values of A·B from the r×r Gram matrices match those of the full product', async () => {
    const rng = new Rng(3);
    const [n, r, m] = [12, 4, 9];
    const A = tf.tensor2d(rng.normalArray(n * r, 1), [n, r]);
    const B = tf.tensor2d(rng.normalArray(r * m, 1), [r, m]);
    const gA = await tf.matMul(A, A, true, false).data();
    const gB = await tf.matMul(B, B, false, true).data();
    const fromGrams = singularValuesFromGrams(gA, gB, r);
    // Reference: σ² = eigenvalues of (AB)ᵀ(AB), an m×m matrix, largest r of them.
    const AB = tf.matMul(A, B);
    const full = symmetricEigenvalues(await tf.matMul(AB, AB, true, false).data(), m)
      .map((x) => Math.sqrt(Math.max(x, 0)))
      .sort((a, b) => b - a)
      .slice(0, r);
    fromGrams.forEach((s, i) => expect(Math.abs(s - full[i]!) / full[0]!).toBeLessThan(1e-4));
    // A rank-1 product has effective rank ≈ 1.
    const u = tf.tensor2d(rng.normalArray(n, 1), [n, 1]);
    const A1 = tf.tile(u, [1, r]);
    const s1 = singularValuesFromGrams(await tf.matMul(A1, A1, true, false).data(), gB, r);
    expect(effectiveRank(s1)).toBeLessThan(1.01);
  });
});
