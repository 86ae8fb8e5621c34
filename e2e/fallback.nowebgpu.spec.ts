/** Without --enable-unsafe-webgpu there is no adapter: the page falls back to another backend and says so. */
import { expect, test } from './fixtures';

test('falls back from webgpu, names the backend in use and why', async ({ page }) => {
  await page.goto('/');
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toBeVisible();
  const backend = await badge.getAttribute('data-backend');
  console.log(`fallback backend: ${backend}; ${await badge.textContent()}`);
  expect(backend).not.toBe('webgpu');
  await expect(badge).toHaveAttribute('data-fallback', 'true');
  await expect(page.getByTestId('fallback-notice')).toContainText(/webgpu: no WebGPU adapter/);
  await page.screenshot({ path: 'e2e/screenshots/engine-fallback.png', fullPage: true });
});

test('the CPU can be chosen explicitly and is labelled as such', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('backend-badge')).toBeVisible();
  await page.getByTestId('backend-select').selectOption('cpu');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'cpu');
  await expect(page.getByTestId('software-notice')).toContainText(/CPU/);
});
