/**
 * npm run eval-checkpoint -- public/models/NAME [--backend cpu|wasm]
 *
 * Loads a shipped base checkpoint, checks its sha256 against NAME.json, measures its validation
 * loss on the same fixed held-out windows its recipe used, and compares it with the recorded
 * figure (exit 1 when they differ by more than 1%).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataManifest } from '../src/data/corpus';
import { heldOutLoss } from '../src/distill/lm';
import { NODE_BACKENDS, type NodeBackend, initNodeBackend } from '../src/engine/node';
import { readCheckpoint } from '../src/model/checkpoint';

async function main(): Promise<void> {
  const base = process.argv[2];
  if (!base || base.startsWith('--')) throw new Error('usage: npm run eval-checkpoint -- public/models/NAME [--backend cpu|wasm]');
  const bi = process.argv.indexOf('--backend');
  const backend = (bi >= 0 ? process.argv[bi + 1] : 'wasm') as NodeBackend;
  if (!NODE_BACKENDS.includes(backend)) throw new Error(`--backend must be one of ${NODE_BACKENDS.join(', ')}`);
  await initNodeBackend(backend);
  const stem = base.replace(/\.(safetensors|json)$/, '');
  const bytes = new Uint8Array(readFileSync(`${stem}.safetensors`));
  const info = JSON.parse(readFileSync(`${stem}.json`, 'utf8'));
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== info.results.sha256) throw new Error(`sha256 ${sha} differs from the recorded ${info.results.sha256}`);
  const { model, tokenizer } = readCheckpoint(bytes);
  const manifest = JSON.parse(readFileSync(join('public/data', 'manifest.json'), 'utf8')) as DataManifest;
  if (tokenizer?.alphabet !== manifest.alphabet) throw new Error('the checkpoint\'s alphabet differs from the prepared data\'s');
  const val = readFileSync(join('public/data', 'sotu-val.txt'), 'utf8');
  const t0 = Date.now();
  const loss = await heldOutLoss(model, val, manifest.alphabet, info.recipe.window, 64, 11);
  const rel = Math.abs(loss - info.results.valLoss) / info.results.valLoss;
  console.log(`${stem}: sha256 ok; validation loss ${loss.toFixed(5)} nats/char (recorded ${Number(info.results.valLoss).toFixed(5)}, difference ${(100 * rel).toFixed(3)}%) on ${backend} in ${Date.now() - t0} ms`);
  if (rel > 0.01) process.exit(1);
}

main().catch((e) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
