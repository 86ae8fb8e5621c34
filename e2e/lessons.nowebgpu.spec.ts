/**
 * The Lessons view: all eight lessons walked with Next, each one's Run this changing the panel it
 * talks about; a link opened at a lesson; the person's own config back on leaving; an out-of-range
 * lesson clamped with a notice. On wasm, where each lesson's run takes seconds.
 */
import { LESSONS } from '../src/config/lessons';
import { expect, test } from './fixtures';

test('walks the eight lessons with Next, running each, and gives the own config back', async ({ page }) => {
  test.setTimeout(900_000);
  // The link's own knobs (kd, 7 steps) are the config the lessons keep aside and give back.
  await page.goto('/#v=2&p=tiny&m=kd&s=7&be=wasm&view=lessons&lesson=1');
  const lesson = page.getByRole('region', { name: 'Lesson' });
  for (const [i, l] of LESSONS.entries()) {
    const n = i + 1;
    await expect(lesson.getByRole('heading', { level: 2 })).toHaveText(l.title);
    await expect(lesson.getByRole('heading', { level: 2 })).toBeFocused();
    await expect(page.getByTestId('lesson-count')).toHaveText(`Lesson ${n} of ${LESSONS.length}`);
    if (n > 1) expect(page.url()).toContain(`view=lessons&lesson=${n}`);
    const named = page.getByTestId(`panel-${l.panels[0]}`);
    await expect(named).toBeVisible();
    const before = await named.innerText();
    await expect(page.getByTestId('lesson-answer')).toHaveCount(0);
    await lesson.getByRole('radio').first().check();
    await lesson.getByRole('button', { name: 'Run this' }).click();
    await expect(page.getByTestId('lesson-status')).toHaveAttribute('data-done', 'true', { timeout: 300_000 });
    await expect(page.getByTestId('lesson-answer')).toContainText(l.predict.choices[l.predict.answer]!);
    await expect(named).not.toHaveText(before);
    await page.screenshot({ path: `e2e/screenshots/lesson-${n}.png` });
    if (n < LESSONS.length) await lesson.getByRole('button', { name: 'Next' }).click();
  }
  await expect(lesson.getByRole('button', { name: 'Next' })).toBeDisabled();
  await lesson.getByRole('button', { name: 'Previous' }).click();
  await expect(page.getByTestId('lesson-count')).toHaveText(`Lesson ${LESSONS.length - 1} of ${LESSONS.length}`);
  await page.getByTestId('view-play').click();
  await expect(page.getByTestId('method-select')).toHaveValue('kd');
  await expect(page.getByTestId('run-status')).toContainText('of 7');
  expect(page.url()).toContain('s=7');
});

test('the Lessons tab opens lesson 1; a link opens at lesson 4 with its experiment; keys move', async ({ page }) => {
  await page.goto('/#v=2&p=tiny&m=kd&s=7&be=wasm');
  await page.getByTestId('view-lessons').click();
  await expect(page.getByTestId('lesson-count')).toHaveText('Lesson 1 of 8');
  await page.getByTestId('view-play').click();
  await expect(page.getByTestId('method-select')).toHaveValue('kd');
  await page.goto('/#v=2&p=tiny&m=kd&s=7&be=wasm&view=lessons&lesson=4');
  const lesson = page.getByRole('region', { name: 'Lesson' });
  await expect(lesson.getByRole('heading', { level: 2 })).toHaveText('Selective teacher intervention');
  await expect(page.getByTestId('lesson-status')).toContainText('100 steps of sti-lora on tiny');
  await expect(page.getByTestId('panel-threshold')).toBeVisible();
  await expect(page.getByTestId('panel-training')).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await expect(lesson.getByRole('heading', { level: 2 })).toHaveText(LESSONS[4]!.title);
  await page.keyboard.press('ArrowLeft');
  await expect(lesson.getByRole('heading', { level: 2 })).toHaveText(LESSONS[3]!.title);
  // The link's own knobs (kd, 7 steps) come back on leaving.
  await page.getByTestId('view-play').click();
  await expect(page.getByTestId('method-select')).toHaveValue('kd');
});

test('a lesson number out of range is clamped with a notice', async ({ page }) => {
  await page.goto('/#v=2&p=tiny&be=wasm&view=lessons&lesson=99');
  await expect(page.getByTestId('url-notices')).toContainText('lesson "99" is out of range [1, 8]; set to 8.');
  await expect(page.getByTestId('lesson-count')).toHaveText('Lesson 8 of 8');
});

test('a classroom link can start at a lesson', async ({ page, context }) => {
  await page.goto('/#v=2&p=tiny&m=kd&s=7&be=wasm');
  await page.getByTestId('classroom').locator('summary').click();
  await page.getByTestId('classroom-lesson').selectOption('6');
  const link = await page.getByTestId('classroom-link').inputValue();
  expect(link).toContain('view=lessons');
  const student = await context.newPage();
  await student.goto(link);
  await expect(student.getByRole('region', { name: 'Lesson' }).getByRole('heading', { level: 2 })).toHaveText('LoRA');
  await expect(student.getByTestId('panel-config')).toHaveCount(0);
});
