/**
 * WebGPU vs CPU parity, in the same page, on Chromium's SwiftShader WebGPU adapter: one training
 * step (loss and every parameter gradient), and three whole sti-lora distillation steps.
 */
import { expect, test } from './fixtures';

test('the page names webgpu with a software adapter; webgpu gradients and distillation steps match cpu', async ({ page }) => {
  await page.goto('/');
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toBeVisible();
  await expect(badge).toHaveAttribute('data-backend', 'webgpu');
  await expect(badge).toHaveAttribute('data-software', 'true');
  await expect(page.getByTestId('adapter')).toContainText(/swiftshader/i);
  await page.screenshot({ path: 'e2e/screenshots/engine-webgpu.png', fullPage: true });

  await page.getByTestId('selfcheck-run').click();
  const result = page.getByTestId('selfcheck-result');
  await expect(result.or(page.getByTestId('selfcheck-error'))).toBeVisible({ timeout: 150_000 });
  await expect(page.getByTestId('selfcheck-error')).toHaveCount(0);
  const maxRelErr = Number(await result.getAttribute('data-max-rel-err'));
  const lossRelErr = Number(await result.getAttribute('data-loss-rel-err'));
  console.log(`webgpu vs cpu, one training step: largest gradient relative error ${maxRelErr.toExponential(3)}, loss relative error ${lossRelErr.toExponential(3)}`);
  console.log(`  ${await result.textContent()}`);
  expect(Number.isFinite(maxRelErr)).toBe(true);
  expect(maxRelErr).toBeLessThan(1e-3);
  expect(lossRelErr).toBeLessThan(1e-3);
  await expect(result).toHaveAttribute('data-ok', 'true');
  // The whole engine step (rollout, teacher, layer-lens loss, AdamW) on webgpu vs cpu.
  const distill = page.getByTestId('selfcheck-distill');
  await expect(distill).toBeVisible();
  console.log(`  ${await distill.textContent()}`);
  expect(Number(await distill.getAttribute('data-max-rel-err'))).toBeLessThan(1e-3);
  await expect(distill).toHaveAttribute('data-ok', 'true');
  await page.screenshot({ path: 'e2e/screenshots/selfcheck-webgpu.png', fullPage: true });
});
