/**
 * Bring your own model, on SwiftShader WebGPU: a tiny GPT-2 (npm run make-tiny-gpt2's, BF16)
 * served by a local server at Hub-style URLs (<base>/<id>/resolve/main/<file>) is imported
 * through the id box with the base pointed at that server, shown with its parameter counts and
 * memory estimate, trains a few sti-lora steps, and downloads as a Hugging Face student and a PEFT
 * adapter; a reload imports it again from the browser's cache, not the server. A wrong
 * model_type, a truncated safetensors, a missing tokenizer and an unreachable server each give a
 * clear message and leave the page working. Nothing here reaches the internet.
 */
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { unzipSync } from 'fflate';
import { tinyGpt2Files } from '../scripts/lib/tiny-gpt2';
import { expect, setKnobs, test } from './fixtures';

const good = tinyGpt2Files({ dtype: 'BF16' });
const weights = good['model.safetensors'] as Uint8Array;
const MODELS: Record<string, Record<string, string | Uint8Array>> = {
  'test/tiny-gpt2': good,
  'test/bert': { ...good, 'config.json': JSON.stringify({ ...JSON.parse(good['config.json'] as string), model_type: 'bert' }) },
  'test/truncated': { ...good, 'model.safetensors': weights.slice(0, weights.length - 100) },
  'test/no-tokenizer': Object.fromEntries(Object.entries(good).filter(([n]) => n !== 'tokenizer.json')),
};

let server: Server;
let base = '';
const hits: string[] = [];

test.beforeAll(async () => {
  server = createServer((req, res) => {
    const m = /^\/(.+)\/resolve\/main\/([^/]+)$/.exec(req.url ?? '');
    const file = m ? MODELS[m[1]!]?.[m[2]!] : undefined;
    hits.push(req.url ?? '');
    res.setHeader('access-control-allow-origin', '*');
    if (file === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = typeof file === 'string' ? Buffer.from(file) : Buffer.from(file);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function importById(page: import('@playwright/test').Page, id: string, from = base) {
  await page.getByTestId('hf-id').fill(id);
  await page.getByTestId('hf-base').fill(from);
  await page.getByTestId('hf-import').click();
}

test.setTimeout(400_000);

test('a tiny GPT-2 by Hub id from a local server: imported, trained with sti-lora, downloaded for transformers; bad models refused', async ({ page }) => {
  await page.goto('/#v=2&p=tiny&m=sti-lora');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');

  // What does not fit is refused by name, and the page keeps working.
  await importById(page, 'test/bert');
  await expect(page.getByTestId('hf-error')).toContainText('model_type "bert" is not supported');
  await importById(page, 'test/truncated');
  await expect(page.getByTestId('hf-error')).toContainText(/model\.safetensors: .*truncated/);
  await importById(page, 'test/no-tokenizer');
  await expect(page.getByTestId('hf-error')).toContainText('has no tokenizer.json');
  await importById(page, 'test/tiny-gpt2', 'http://127.0.0.1:1');
  await expect(page.getByTestId('hf-error')).toContainText('could not reach http://127.0.0.1:1/test/tiny-gpt2/resolve/main/config.json');
  await expect(page.getByTestId('preset-select')).toHaveValue('tiny');
  await expect(page.getByTestId('run')).toBeEnabled();

  // The good one: a summary before any run, and the preset made for it.
  await importById(page, 'test/tiny-gpt2');
  const info = page.getByTestId('hf-info');
  await expect(info).toContainText('4 layers × 16, 2 heads, a vocabulary of 264, context 160');
  await expect(info).toContainText(/student [\d,.]+ M? ?\(2 layers/);
  await expect(info).toContainText(/teacher weights [\d.]+ MB, frozen weights [\d.]+ MB, trainable weights [\d.]+ MB, gradients [\d.]+ MB, optimiser state [\d.]+ MB, activations and temporaries [\d.]+ MB/);
  await expect(page.getByTestId('hf-error')).toHaveCount(0);
  await expect(page.getByTestId('preset-select')).toHaveValue('bring-gpt2');
  await expect(page.getByTestId('method-select')).toHaveValue('sti-lora');
  // (tokenizer_config.json is optional: this server has none, and its 404 is asked again each time)
  const asked = () => hits.filter((h) => h.startsWith('/test/tiny-gpt2/') && !h.endsWith('tokenizer_config.json')).length;
  const fetched = asked();

  // A few sti-lora steps on it: on the tiny preset's reversals (a character a token of its vocabulary;
  // bring-gpt2's 128-token Melville windows take minutes on a software GPU — its CLI test runs them).
  await page.getByTestId('preset-select').selectOption('tiny');
  await page.getByTestId('method-select').selectOption('sti-lora');
  await setKnobs(page, { steps: '2', batchSize: '2', evalEvery: '0' });
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 170_000 });
  const losses = JSON.parse((await page.getByTestId('training-stats').getAttribute('data-losses')) ?? '[]') as number[];
  console.log(`tiny sti-lora on the imported tiny GPT-2, webgpu: losses ${losses.map((x) => x.toFixed(4)).join(', ')}`);
  expect(losses).toHaveLength(2);
  expect(losses.every(Number.isFinite)).toBe(true);

  // The download: the student as a GPT-2 folder, the PEFT adapter, and the merged model.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-hf').click()]);
  expect(dl.suggestedFilename()).toBe('kd-tiny-sti-lora-step2-hf.zip');
  const zip = unzipSync(new Uint8Array(readFileSync((await dl.path())!)));
  expect(Object.keys(zip).sort()).toEqual(['adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'merged/config.json', 'merged/model.safetensors', 'merged/tokenizer.json', 'student/config.json', 'student/model.safetensors', 'student/tokenizer.json']);
  const cfg = JSON.parse(new TextDecoder().decode(zip['student/config.json']));
  expect(cfg).toMatchObject({ model_type: 'gpt2', n_layer: 2, n_embd: 16, vocab_size: 264 });
  expect(JSON.parse(new TextDecoder().decode(zip['adapter/adapter_config.json']))).toMatchObject({ peft_type: 'LORA', fan_in_fan_out: true, base_model_name_or_path: 'student' });
  expect(new TextDecoder().decode(zip['student/tokenizer.json'])).toBe(good['tokenizer.json']);

  // After a reload the same import comes from the browser's cache: the server is not asked again.
  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
  await importById(page, 'test/tiny-gpt2');
  await expect(page.getByTestId('hf-info')).toContainText('4 layers × 16');
  expect(asked(), 'requests to the server after the reload').toBe(fetched);

  await expect(page.getByTestId('preset-select')).toHaveValue('bring-gpt2');
  // Back to the shipped models (and off the preset that needs an imported one).
  await page.getByTestId('hf-clear').click();
  await expect(page.getByTestId('hf-info')).toHaveCount(0);
  await expect(page.getByTestId('preset-select')).toHaveValue('tiny');
});

test('the resources table of an imported model in the Paper view: eight rows, the memory by part, sti-lora against ft and lora', async ({ page }) => {
  await page.goto('/#v=2&p=tiny&view=paper');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgpu');
  await expect(page.getByTestId('paper-table')).toBeVisible();
  await expect(page.getByTestId('resources')).toHaveCount(0); // only with a model brought in
  await page.getByTestId('view-play').click();
  await importById(page, 'test/tiny-gpt2');
  await expect(page.getByTestId('preset-select')).toHaveValue('bring-gpt2');
  await page.getByTestId('view-paper').click();
  await page.getByTestId('resources-run').click();
  await expect(page.getByTestId('resources-status')).toHaveAttribute('data-status', 'done', { timeout: 360_000 });
  await expect(page.getByTestId('resources-table').locator('tbody tr')).toHaveCount(8);
  const ft = page.getByTestId('resources-row-ft');
  // ft trains the whole teacher-size model: 4 layers × 16, 264 tokens, 160 positions (the tied head counted once).
  await expect(ft.locator('td').nth(1)).toHaveText((264 * 16 + 160 * 16 + 4 * (4 * 16 + 16 * 48 + 48 + 16 * 16 + 16 + 16 * 64 + 64 + 64 * 16 + 16) + 2 * 16).toLocaleString('en-US'));
  const cells = async (m: string) => (await page.getByTestId(`resources-row-${m}`).locator('td').allTextContents()).map((t) => Number(t.replaceAll(',', '')));
  const [, params, peak, buffers, teacher, frozen, trainable, gradients, optimiser, activations] = await cells('sti-lora');
  expect(teacher! + frozen! + trainable! + gradients! + optimiser! + activations!).toBeCloseTo(peak!, 0);
  expect(buffers).toBeLessThanOrEqual(peak!); // each buffer once: the student's blocks share the teacher's
  expect(buffers).toBeGreaterThan(teacher!);
  expect(teacher).toBeGreaterThan(0); // a KD method runs the teacher beside the student
  expect((await cells('ft'))[4]).toBe(0); // ft has none
  expect(params).toBeLessThan((await cells('ft'))[1]!);
  // sti-lora against ft and lora, as the rows say (percent, the paper's in brackets).
  const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(0)}%`;
  const [ftRow, loraRow] = [await cells('ft'), await cells('lora')];
  const ratioCells = async (k: string) => (await page.getByTestId(`resources-${k}`).locator('td').allTextContents()).map((t) => Number(/^([−+])(\d+)%/.exec(t)?.slice(1).join('').replace('−', '-') ?? NaN) / 100);
  await expect(page.getByTestId('resources-vsFt').locator('td').nth(1)).toHaveText(`${pct(params! / ftRow[1]! - 1)} (−99%)`);
  await expect(page.getByTestId('resources-vsLora').locator('td').nth(1)).toHaveText(`${pct(params! / loraRow[1]! - 1)} (−49%)`);
  const [, , memFt] = await ratioCells('vsFt');
  const [, , memLora] = await ratioCells('vsLora');
  expect(memFt!).toBeCloseTo(peak! / ftRow[2]! - 1, 1); // from MiB to one decimal: within a percent
  expect(memLora!).toBeCloseTo(peak! / loraRow[2]! - 1, 1);
  await expect(page.getByTestId('resources-vsLora')).toContainText(/[−+]\d+% \(−30%\)/);
  await page.getByTestId('resources').screenshot({ path: 'e2e/screenshots/resources.png' });
});
