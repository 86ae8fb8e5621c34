/** The bench page measures a row in the engine worker: the GPU's work per step is counted (one readback per step). */
import { expect, test } from './fixtures';

test('bench page: one tiny kd-lora row with fused kernels, its dispatches and one readback per step', async ({ page }) => {
  await page.goto('/bench.html?presets=tiny&methods=kd-lora&kernels=fused&steps=1&warmup=0&rollouts=0');
  await expect(page.locator('body')).toHaveAttribute('data-rows', /dispatchesPerStep/, { timeout: 150_000 });
  const rows = JSON.parse((await page.locator('body').getAttribute('data-rows'))!) as { backend: string; kernels: string; dispatchesPerStep: number; readbacksPerStep: number }[];
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ backend: 'webgpu', kernels: 'fused', readbacksPerStep: 1 });
  expect(rows[0]!.dispatchesPerStep).toBeGreaterThan(50);
  await expect(page.locator('#table')).toContainText('| tiny | kd-lora | fused |');
  await expect(page.locator('body')).toHaveAttribute('data-adapter', /webgpu/);
});
