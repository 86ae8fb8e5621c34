/** A Playwright `test` that fails on any console error or uncaught page error. */
import { test as base, expect } from '@playwright/test';

export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      await use(errors);
      expect(errors, 'console errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Types values into knob fields of the every-knob panel, as a person does (Enter applies each). */
export async function setKnobs(page: import('@playwright/test').Page, values: Record<string, string>): Promise<void> {
  for (const [knob, value] of Object.entries(values)) {
    await page.getByTestId(`knob-${knob}`).fill(value);
    await page.getByTestId(`knob-${knob}`).press('Enter');
  }
}
