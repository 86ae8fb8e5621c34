/** The Paper table view on the tiny preset: all eight rows run in the worker and fill in, and the exports are produced. */
import { readFileSync } from 'node:fs';
import { METHODS } from '../src/config/knobs';
import { expect, test } from './fixtures';

test('paper table: eight rows filled on the tiny preset, Markdown and CSV exported, the plan in the link', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/#v=2&p=tiny&view=paper&pts=2&pks=1');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
  await expect(page.getByTestId('paper-steps')).toHaveValue('2');
  await expect(page.getByTestId('paper-seeds')).toHaveValue('1');
  await page.getByTestId('paper-run').click();
  await expect(page.getByTestId('paper-status')).toHaveAttribute('data-status', 'running');
  // Rows fill in as they finish, in order.
  await expect(page.getByTestId('paper-row-ft')).toHaveAttribute('data-state', 'done', { timeout: 300_000 });
  await expect(page.getByTestId('paper-status')).toHaveAttribute('data-status', 'done', { timeout: 540_000 });
  for (const m of METHODS) {
    const row = page.getByTestId(`paper-row-${m}`);
    await expect(row).toHaveAttribute('data-state', 'done');
    const cells = await row.locator('td').allInnerTexts();
    expect(cells).toHaveLength(12); // on webgpu the live GPU peak has its own column beside the step peak
    expect(cells[1]).toBe('1/1');
    for (const c of cells.slice(2, 9)) expect(c).toMatch(/^\d/); // params, step peak, live GPU, ms/token, ROUGE-L, perplexity, exact match
    // The teacher's share of rollout tokens: for the methods with rollouts only (gkd's two steps may both be gold batches).
    if (['ft', 'lora', 'kd', 'kd-lora'].includes(m)) expect(cells[9]).toBe('—');
    else if (m !== 'gkd') expect(cells[9]).toMatch(/^\d+%/);
  }
  await expect(page.getByRole('columnheader', { name: 'live GPU MB' })).toBeVisible();
  await expect(page.getByTestId('paper-ratios')).toBeVisible();
  await page.screenshot({ path: 'e2e/screenshots/paper-table.png', fullPage: true });

  const [md] = await Promise.all([page.waitForEvent('download'), page.getByTestId('paper-export-md').click()]);
  const mdText = readFileSync((await md.path())!, 'utf8');
  expect(md.suggestedFilename()).toBe('paper-tiny.md');
  for (const m of METHODS) expect(mdText).toContain(`| \`${m}\` |`);
  expect(mdText).toContain('2 steps per run, 1 seed(s)');
  expect(mdText).toContain('against the paper\'s figures');
  expect(mdText).toContain('| peak step MB (logical) | live GPU MB |');
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('paper-export-csv').click()]);
  const lines = readFileSync((await csv.path())!, 'utf8').trim().split('\n');
  expect(lines[0]).toMatch(/^method,seeds,trainableParams,/);
  expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual([...METHODS]);
  // Accuracy by position: over all test lengths (the default) or those beyond training; the export follows the choice.
  const [allPos] = await Promise.all([page.waitForEvent('download'), page.getByTestId('paper-export-positions').click()]);
  expect(allPos.suggestedFilename()).toBe('paper-tiny-positions-all.csv');
  const allLines = readFileSync((await allPos.path())!, 'utf8').trim().split('\n');
  expect(allLines[0]).toBe(`position,${METHODS.flatMap((m) => [m, `${m}_std`]).join(',')}`);
  expect(allLines).toHaveLength(1 + 9); // positions 0…8 of the longest test response (8 letters + EOS)
  await page.getByTestId('paper-positions-beyond').check();
  const [beyond] = await Promise.all([page.waitForEvent('download'), page.getByTestId('paper-export-positions').click()]);
  expect(beyond.suggestedFilename()).toBe('paper-tiny-positions.csv');
  // The suggested preset for the long-sequence claim is one click away.
  await expect(page.getByTestId('paper-suggested')).toBeVisible();
  console.log(`paper table in the app (tiny, 2 steps, 1 seed, webgpu): ${lines.slice(1).map((l) => `${l.split(',')[0]} ROUGE-L ${Number(l.split(',')[8]).toFixed(3)}`).join('; ')}`);

  // The view and its budget are part of the link: a reload restores them.
  await page.reload();
  await expect(page.getByTestId('paper-steps')).toHaveValue('2');
  await expect(page.getByTestId('view-paper')).toHaveAttribute('aria-selected', 'true');
});
