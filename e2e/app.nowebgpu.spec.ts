/** Without WebGPU: the fallback badge shows and a run still works; a shared link reproduces a cpu run exactly. */
import { expect, test } from './fixtures';

async function runToEnd(page: import('@playwright/test').Page): Promise<number[]> {
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  return JSON.parse((await page.getByTestId('training-stats').getAttribute('data-losses')) ?? '[]') as number[];
}

test('fallback backend: a run works', async ({ page }) => {
  await page.goto('/#v=2&p=tiny&m=kd-lora&s=3&ee=0');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-fallback', 'true');
  const losses = await runToEnd(page);
  expect(losses).toHaveLength(3);
});

test('share: the copied link restores the config, and both pages compute identical losses on cpu', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/#v=2&p=tiny&m=gkd&s=4&ee=0&be=cpu&sd=7&lr=0.005');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'cpu');
  await page.getByTestId('share').click();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toContain('m=gkd');
  const a = await runToEnd(page);
  const other = await context.newPage();
  await other.goto(link);
  await expect(other.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'cpu');
  expect(await other.evaluate(() => location.hash)).toBe(await page.evaluate(() => location.hash));
  const b = await runToEnd(other);
  console.log(`shared link, cpu: ${a.map((x) => x.toFixed(6)).join(', ')} vs ${b.map((x) => x.toFixed(6)).join(', ')}`);
  expect(b).toEqual(a);
});

test('the wasm backend can be chosen in the link and trains', async ({ page }) => {
  await page.goto('/#v=2&p=tiny&m=sti-lora&s=2&ee=0&be=wasm');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm');
  const losses = await runToEnd(page);
  expect(losses).toHaveLength(2);
  expect(losses.every(Number.isFinite)).toBe(true);
});
