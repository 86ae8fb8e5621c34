/** A lost GPU device mid-run: a clear message, the settings and the metrics so far kept, and the engine restarts and trains. */
import { expect, test } from './fixtures';

test('a lost GPU stops the run with a message, keeps the settings and metrics, and a restarted engine trains again', async ({ page }) => {
  await page.goto('/#v=2&p=tiny&m=sti-lora&s=60&ee=0');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
  const hash = await page.evaluate(() => location.hash);
  await page.getByTestId('run').click();
  await expect
    .poll(async () => Number(await page.getByTestId('run-status').getAttribute('data-done')), { timeout: 150_000 })
    .toBeGreaterThanOrEqual(3);
  await page.getByTestId('lose-device').click();
  await expect(page.getByTestId('device-lost')).toContainText('The GPU device was lost');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('run-error')).toContainText(/GPU device was lost.*stopped at step \d+/);
  const kept = JSON.parse((await page.getByTestId('training-stats').getAttribute('data-losses')) ?? '[]') as number[];
  expect(kept.length).toBeGreaterThanOrEqual(3);
  expect(await page.evaluate(() => location.hash)).toBe(hash);

  await page.getByTestId('engine-restart').click();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
  await expect(page.getByTestId('device-lost')).toHaveCount(0);
  await page.getByTestId('step').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused', { timeout: 150_000 });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-done', '1');
  const losses = async () => JSON.parse((await page.getByTestId('training-stats').getAttribute('data-losses')) ?? '[]') as number[];
  await expect.poll(losses).toHaveLength(1);
  expect((await losses())[0]).toBeCloseTo(kept[0]!, 4); // the same run from the start: same first loss
});
