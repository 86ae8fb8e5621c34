/**
 * The playground on SwiftShader WebGPU: the tiny preset runs sti-lora, every panel shows data,
 * a low τ0 highlights teacher tokens, pause and step work. Saves screenshots of the main view.
 */
import { expect, test } from './fixtures';

// Raw threshold with a tiny τ0: the teacher intervenes nearly everywhere, so highlights must show.
const LINK = '/#v=2&p=tiny&m=sti-lora&s=6&ee=3&he=1&re=2&tm=raw&t0=0.01&tmin=0.001';

test('tiny sti-lora: steps, panels, highlighted interventions, pause and step', async ({ page }) => {
  await page.goto(LINK);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
  await expect(page.getByTestId('url-notices')).toHaveCount(0);
  // The quick self-check at start passes on SwiftShader.
  await expect(page.getByTestId('start-check')).toHaveAttribute('data-ok', 'true', { timeout: 120_000 });
  const status = page.getByTestId('run-status');
  // Two single steps (this also prepares the run: data, shipped base and teacher, step-0 evaluation).
  await page.getByTestId('step').click();
  await expect(status).toHaveAttribute('data-done', '1', { timeout: 150_000 });
  await expect(status).toHaveAttribute('data-status', 'paused');
  await page.getByTestId('step').click();
  await expect(status).toHaveAttribute('data-done', '2');
  // Run to the end.
  await page.getByTestId('run').click();
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 150_000 });
  await expect(status).toHaveAttribute('data-done', '6');
  // Every panel shows data.
  const th = page.getByTestId('threshold-stats');
  expect(Number(await th.getAttribute('data-tau-first'))).toBeGreaterThan(Number(await th.getAttribute('data-tau-last')));
  await expect(page.getByTestId('layer-lines')).toHaveAttribute('data-count', '2');
  await expect(page.getByTestId('heatmap')).toBeVisible();
  const live = await page.getByTestId('memory-live').textContent();
  expect(parseFloat(live ?? '0')).toBeGreaterThan(0);
  await expect(page.getByTestId('rank-configured')).toContainText('r = 8');
  const marked = page.locator('[data-testid="sample"] [data-intervened="1"]');
  expect(await marked.count()).toBeGreaterThan(0);
  const losses = JSON.parse((await page.getByTestId('training-stats').getAttribute('data-losses')) ?? '[]') as number[];
  expect(losses).toHaveLength(6);
  expect(losses.every(Number.isFinite)).toBe(true);
  console.log(`tiny sti-lora on webgpu: losses ${losses.map((l) => l.toFixed(4)).join(', ')}; ${await th.textContent()}`);
  await page.screenshot({ path: 'e2e/screenshots/app-webgpu.png', fullPage: true });
});
