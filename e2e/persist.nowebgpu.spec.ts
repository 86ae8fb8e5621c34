/** A run survives a reload, downloads as JSON + safetensors (+ adapter), loads back (with its weights: live again); a wrong file is refused. */
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from './fixtures';

const LINK = '/#v=2&p=tiny&m=kd-lora&s=3&ee=0&be=cpu';
const losses = async (page: import('@playwright/test').Page) => JSON.parse((await page.getByTestId('training-stats').getAttribute('data-losses')) ?? '[]') as number[];

test('reload, download, load back', async ({ page, context }, testInfo) => {
  await page.goto(LINK);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'cpu');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const ran = await losses(page);
  expect(ran).toHaveLength(3);

  // Reload: the config (URL) and the last run's metrics come back.
  await page.reload();
  await expect(page.getByTestId('run-status')).toContainText('showing a saved run');
  expect(await losses(page)).toEqual(ran);

  // Download: the run's JSON, the trained weights and the LoRA adapter (needs a live run).
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const files: { name: string; path: string }[] = [];
  page.on('download', async (d) => files.push({ name: d.suggestedFilename(), path: (await d.path())! }));
  await page.getByTestId('download').click();
  await expect.poll(() => files.length, { timeout: 30_000 }).toBe(3);
  const json = files.find((f) => f.name.endsWith('.json'))!;
  const model = files.find((f) => f.name.endsWith('step3.safetensors'))!;
  const adapter = files.find((f) => f.name.endsWith('.lora.safetensors'))!;
  expect(JSON.parse(readFileSync(json.path, 'utf8')).format).toBe('kd-playground-run/2');
  for (const f of [model, adapter]) {
    const b = readFileSync(f.path);
    const n = Number(b.readBigUInt64LE(0));
    expect(JSON.parse(b.subarray(8, 8 + n).toString()).__metadata__.run).toContain('kd-lora');
  }

  // Load the JSON back in a fresh page on another config.
  const other = await context.newPage();
  await other.goto('/#v=2&p=tiny&m=ft&s=9&be=cpu');
  await other.getByTestId('load-run').setInputFiles(json.path);
  await expect(other.getByTestId('method-select')).toHaveValue('kd-lora');
  expect(await losses(other)).toEqual(ran);

  // With its weights, the run is live again: their evaluation matches the original's, and it can go on.
  const quality = async (p: import('@playwright/test').Page) => (await p.getByTestId('training-stats').innerText()).replace(/^.*(ROUGE-L .*)$/s, '$1');
  const third = await context.newPage();
  await third.goto('/#v=2&p=tiny&m=ft&s=9&be=cpu');
  await expect(third.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'cpu');
  await third.getByTestId('load-run').setInputFiles([json.path, model.path].map((p, i) => ({ name: i ? 'run.safetensors' : 'run.json', mimeType: 'application/octet-stream', buffer: readFileSync(p) })));
  await expect(third.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(third.getByTestId('run-status')).toHaveAttribute('data-done', '3');
  await expect(third.getByTestId('run-status')).not.toContainText('saved run');
  await expect.poll(() => quality(third)).toBe(await quality(page));
  expect(await losses(third)).toEqual(ran);
  // Weights of another run are refused with a message, and the metrics stay.
  await third.goto('/#v=2&p=tiny&m=kd-lora&s=3&ee=0&be=cpu&lr=0.02');
  await third.getByTestId('load-run').setInputFiles([json.path, model.path].map((p, i) => ({ name: i ? 'run.safetensors' : 'run.json', mimeType: 'application/octet-stream', buffer: i ? readFileSync(p) : Buffer.from(readFileSync(json.path, 'utf8').replace(/lr=[^&"]*/, 'lr=0.02').replace(/"lr": [^,]*/, '"lr": 0.02')) })));
  await expect(third.getByTestId('file-error')).toContainText('saved by a run with other settings (lr)');
  expect(await losses(third)).toEqual(ran);

  // A wrong file is refused and changes nothing.
  await other.getByTestId('load-run').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  await expect(other.getByTestId('file-error')).toContainText('not a KD Playground run file');
  await expect(other.getByTestId('method-select')).toHaveValue('kd-lora');
  expect(await losses(other)).toEqual(ran);

  // A run file whose 200,000 step records are not numbers is refused by field, and changes nothing.
  const run = JSON.parse(readFileSync(json.path, 'utf8'));
  const bogus = { ...run, steps: Array.from({ length: 200_000 }, (_, i) => ({ ...run.steps[0], step: i, loss: 'abc' })) };
  const bogusPath = testInfo.outputPath('bogus.json'); // over 50 MB: Playwright takes it only as a file
  writeFileSync(bogusPath, JSON.stringify(bogus));
  await other.getByTestId('load-run').setInputFiles(bogusPath);
  await expect(other.getByTestId('file-error')).toContainText(/bogus\.json is not a KD Playground run file: steps\[0\]\.loss/);
  await expect(other.getByTestId('method-select')).toHaveValue('kd-lora');
  await expect(other.getByTestId('run')).toBeEnabled();
  expect(await losses(other)).toEqual(ran);
});
