/** The time-left estimate of counted work (a teacher trained on first use): the pace so far, in words. */
import { expect, test } from 'vitest';
import { timeLeft } from '../src/protocol/progress';

test('time left is the steps to go at the pace so far', () => {
  expect(timeLeft(10_000, 100, 2000)).toBe('about 3 min left'); // 1,900 steps at 0.1 s
  expect(timeLeft(1_000, 100, 200)).toBe('about 1 s left');
  expect(timeLeft(30_000, 10, 30)).toBe('about 1 min left');
  expect(timeLeft(72_000, 10, 1010)).toBe('about 2.0 h left');
  expect(timeLeft(5_000, 0, 100)).toBeNull(); // no pace yet
  expect(timeLeft(5_000, 100, 100)).toBeNull(); // done
});
