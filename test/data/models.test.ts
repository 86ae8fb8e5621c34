/** Every checkpoint shipped in public/models loads, matches its recorded sha256 and config, and uses the prepared alphabet. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { DataManifest } from '../../src/data/corpus';
import { SPEECH_BASE, getPreset } from '../../src/config/presets';
import { nodeHost } from '../../scripts/lib/host';
import { readCheckpoint } from '../../src/model/checkpoint';

const DIR = 'public/models';

test('shipped checkpoints load and match their records', async () => {
  const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.json')) : [];
  expect(files, 'the speech base is shipped').toContain(`${SPEECH_BASE}.json`);
  const manifest = JSON.parse(readFileSync('public/data/manifest.json', 'utf8')) as DataManifest;
  for (const f of files) {
    const info = JSON.parse(readFileSync(join(DIR, f), 'utf8'));
    const bytes = new Uint8Array(readFileSync(join(DIR, f.replace(/\.json$/, '.safetensors'))));
    expect(createHash('sha256').update(bytes).digest('hex'), f).toBe(info.results.sha256);
    const { model, tokenizer, metadata } = readCheckpoint(bytes);
    expect(model.config, f).toEqual(info.model);
    // The speech base and its presets use the prepared corpus's alphabet; a recipe-base preset its task's.
    const preset = info.recipe.preset ? getPreset(info.recipe.preset) : null;
    const alphabet = preset && preset.base.kind === 'recipe' ? (await nodeHost.data(preset)).tokenizer.toJSON()?.alphabet : manifest.alphabet;
    expect(tokenizer?.alphabet, f).toBe(alphabet);
    expect(JSON.parse(metadata.recipe!), f).toEqual(info.recipe);
    for (const t of Object.values(model.weights)) t.dispose();
  }
});
