/** The classroom-link builder: the link it makes opens the same run with the chosen parts hidden. */
import { expect, test } from './fixtures';

test('a classroom link hides what the teacher ticked and keeps the run config', async ({ page, context }) => {
  await page.goto('/#v=2&p=tiny&m=kd&s=7&be=cpu');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'cpu');
  await page.getByTestId('classroom').locator('summary').click();
  await expect(page.getByTestId('classroom-hide-config')).toBeChecked();
  await page.getByTestId('classroom-hide-memory').check();
  await page.getByTestId('classroom-hide-explainers').check();
  const link = await page.getByTestId('classroom-link').inputValue();
  expect(link).toContain('hide=config,memory,backend,explainers');
  const student = await context.newPage();
  await student.goto(link);
  await expect(student.getByTestId('panel-training')).toBeVisible();
  await expect(student.getByTestId('panel-memory')).toHaveCount(0);
  await expect(student.getByTestId('panel-config')).toHaveCount(0);
  await expect(student.locator('.explainer')).toHaveCount(0);
  await expect(student.getByRole('heading', { name: 'Engine' })).toHaveCount(0);
  await expect(student.getByTestId('method-select')).toHaveValue('kd');
  await expect(student.getByTestId('run-status')).toContainText('of 7');
});
