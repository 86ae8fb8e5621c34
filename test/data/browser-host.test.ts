/**
 * The browser host: the same data as the Node host (one shared builder, files fetched instead of
 * read), and a missing file — including one a single-page fallback answers with HTML — reported
 * as missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { PRESET_NAMES, getPreset } from '../../src/config/presets';
import { browserHost } from '../../src/engine/browser-host';
import { Rng } from '../../src/model/rng';
import { nodeHost } from '../../scripts/lib/host';

afterEach(() => vi.unstubAllGlobals());

test('for every preset the browser host builds the same data as the Node host', async () => {
  // A static server of public/, as the built app's origin is.
  vi.stubGlobal('fetch', async (url: string) => {
    const path = join('public', new URL(url).pathname);
    try {
      return new Response(readFileSync(path), { status: 200, headers: { 'content-type': 'application/octet-stream' } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
  const user = { name: 'mine.txt', train: 'the whale swims on and on. '.repeat(40), test: 'a ship sails by the shore. '.repeat(10) };
  const host = browserHost('http://app/', () => {}, () => user);
  for (const name of PRESET_NAMES) {
    const preset = getPreset(name);
    const browser = await host.data(preset);
    if (preset.data.kind === 'corpus' && preset.data.corpus === 'user') {
      expect(browser.trainBatch(new Rng(1), 2)[0]!.prompt.length, name).toBe(preset.data.promptLength);
      continue;
    }
    const node = await nodeHost.data(preset);
    expect(browser.tokenizer.toJSON(), name).toEqual(node.tokenizer.toJSON());
    expect(browser.trainBatch(new Rng(1), 4), name).toEqual(node.trainBatch(new Rng(1), 4));
    expect(browser.testSet(), name).toEqual(node.testSet());
  }
  // The same shipped checkpoint, by fetch or from disk.
  const preset = getPreset('tiny');
  const data = await host.data(preset);
  const [b, n] = [await host.base(preset, data), await nodeHost.base(preset, data)];
  expect(b.origin).toBe('shipped models/tiny-base.safetensors');
  expect(n.origin).toBe('shipped public/models/tiny-base.safetensors');
  expect(Array.from(await b.model.weights['wte.weight']!.data())).toEqual(Array.from(await n.model.weights['wte.weight']!.data()));
  for (const m of [b.model, n.model]) for (const t of Object.values(m.weights)) t.dispose();
});

test('an HTML answer for a checkpoint is "missing", with a message that says so, not a parse error', async () => {
  vi.stubGlobal('fetch', async () => new Response('<!doctype html><html></html>', { status: 200, headers: { 'content-type': 'text/html' } }));
  const host = browserHost('http://app/', () => {});
  const preset = getPreset('moby-dick');
  await expect(host.base(preset, null as never)).rejects.toThrow('models/speech-4x128.safetensors is missing from this build');
  await expect(host.data(preset)).rejects.toThrow('data/manifest.json is missing from this build');
  await expect(host.data(getPreset('your-text'))).rejects.toThrow('preset your-text needs a text file: pick or drop a .txt file first');
});

test('a server error is reported with its status', async () => {
  vi.stubGlobal('fetch', async () => new Response('nope', { status: 500 }));
  await expect(browserHost('http://app/', () => {}).data(getPreset('moby-dick'))).rejects.toThrow('HTTP 500');
});
