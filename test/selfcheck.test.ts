/** The backend self-check itself: cpu against cpu agrees exactly, and the comparison is sensitive. */
import { expect, test } from 'vitest';
import { gradientParity, relErr, trainingStepGradients } from '../src/engine/selfcheck';

test('cpu vs cpu parity is exact and covers every tensor', async () => {
  const r = await gradientParity('cpu', 'cpu');
  expect(r.maxGradRelErr).toBe(0);
  expect(r.lossRelErr).toBe(0);
  expect(r.tensors).toBe(2 + 2 * 8 + 2 + 2 * 6 * 2);
  expect(r.ok).toBe(true);
});

test('the step is deterministic and every gradient is non-zero', async () => {
  const a = await trainingStepGradients();
  for (const [n, g] of Object.entries(a.grads)) expect(g.some((x) => x !== 0), n).toBe(true);
  expect(Number.isFinite(a.loss)).toBe(true);
});

test('relErr is relative to the reference scale', () => {
  expect(relErr([1, 2.002], [1, 2])).toBeCloseTo(1e-3, 6);
  expect(relErr([0, 0], [0, 0])).toBe(0);
});
