/**
 * A person's own .txt file (here UTF-16 with a byte-order mark) becomes the corpus of a run that
 * trains; an empty, a binary and a mostly unreadable file are refused; preparing can be cancelled.
 */
import { expect, setKnobs, test } from './fixtures';

const TEXT = Array.from({ length: 60 }, (_, i) => `Line ${i}: the quick brown fox jumps over the lazy dog, and the whale swims on.`).join('\n');

test('a dropped-in text trains; empty, binary and unreadable files are refused', async ({ page }) => {
  // Two runs of the 4 × 128 speech base on the cpu backend, each with a test-set evaluation: 2.6
  // minutes on 2 cores on a good day, past the default 3 on a slow one.
  test.setTimeout(420_000);
  await page.goto('/#v=2&p=tiny&m=ft&s=2&ee=0&be=cpu');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'cpu');
  const input = page.getByTestId('user-text');
  await input.setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
  await expect(page.getByTestId('file-error')).toContainText('empty.txt is empty');
  await input.setInputFiles({ name: 'image.txt', mimeType: 'text/plain', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]) });
  await expect(page.getByTestId('file-error')).toContainText('looks binary');
  await expect(page.getByTestId('preset-select')).toHaveValue('tiny');
  // Mostly characters the model cannot read (Hebrew and emoji): refused with the share, nothing changes.
  await input.setInputFiles({ name: 'other.txt', mimeType: 'text/plain', buffer: Buffer.from('שלום עולם 😀 '.repeat(400)) });
  await expect(page.getByTestId('file-error')).toContainText(/other\.txt: \d+% of its characters are outside the model's alphabet/);
  await expect(page.getByTestId('preset-select')).toHaveValue('tiny');

  // UTF-16 with a byte-order mark (as Windows Notepad saves "Unicode") is read, not called binary.
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]);
  await input.setInputFiles({ name: 'mine.txt', mimeType: 'text/plain', buffer: utf16 });
  await expect(page.getByTestId('preset-select')).toHaveValue('your-text');
  await expect(page.getByTestId('user-text-name')).toContainText('mine.txt');
  await expect(page.getByTestId('file-error')).toHaveCount(0);
  await setKnobs(page, { steps: '2', batchSize: '2', evalEvery: '0' });
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 170_000 });
  const losses = JSON.parse((await page.getByTestId('training-stats').getAttribute('data-losses')) ?? '[]') as number[];
  console.log(`your-text ft on cpu: losses ${losses.map((x) => x.toFixed(4)).join(', ')}`);
  expect(losses).toHaveLength(2);
  expect(losses.every(Number.isFinite)).toBe(true);

  // A KD method needs this text's teacher, trained here first: Cancel stops that at once, and the
  // fresh engine still has the text.
  await page.getByTestId('method-select').selectOption('kd');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toContainText('training the teacher of your-text', { timeout: 60_000 });
  await page.getByTestId('cancel').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'cpu');
  await expect(page.getByTestId('run-error')).toHaveCount(0);
  await page.getByTestId('method-select').selectOption('ft');
  await setKnobs(page, { steps: '1', batchSize: '2', evalEvery: '0' });
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 240_000 });
});
