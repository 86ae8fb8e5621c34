/** The browser host's fetches: a missing file answered by a single-page fallback (HTML, status 200) counts as missing. */
import { afterEach, expect, test, vi } from 'vitest';
import { getPreset } from '../../src/data/presets';
import { browserHost } from '../../src/engine/browser-host';

afterEach(() => vi.unstubAllGlobals());

test('an HTML answer for a checkpoint is "missing", with a message that says so, not a parse error', async () => {
  vi.stubGlobal('fetch', async () => new Response('<!doctype html><html></html>', { status: 200, headers: { 'content-type': 'text/html' } }));
  const host = browserHost('http://app/', () => {});
  const preset = getPreset('moby-dick');
  await expect(host.base(preset, null as never)).rejects.toThrow('models/speech-4x128.safetensors is missing from this build');
  await expect(host.data(preset)).rejects.toThrow('data/manifest.json is missing from this build');
});

test('a server error is reported with its status', async () => {
  vi.stubGlobal('fetch', async () => new Response('nope', { status: 500 }));
  await expect(browserHost('http://app/', () => {}).data(getPreset('moby-dick'))).rejects.toThrow('HTTP 500');
});
