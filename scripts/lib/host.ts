/**
 * The Node host of a run (src/distill/host.ts): files from public/ (data written by npm run
 * prepare-data, checkpoints by npm run pretrain and npm run finetune), and bases and teachers made
 * from their recipes on first use kept under .cache/checkpoints/, so later runs start at once.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Host, type HostFiles, type ImportedModel, createHost, importedHost } from '../../src/distill/host';
import { readHfFolder } from '../../src/distill/hf';
import { timeLeft } from '../../src/protocol/progress';

export const CACHE_DIR = '.cache/checkpoints';
export const PUBLIC_DIR = 'public';
export const DATA_DIR = 'public/data';
export const MODELS_DIR = 'public/models';

const inPublic = (path: string) => join(PUBLIC_DIR, path);
const cacheFile = (key: string) => join(CACHE_DIR, `${key}.safetensors`);
const readIf = (file: string) => (existsSync(file) ? new Uint8Array(readFileSync(file)) : null);

/** When the host's current piece of counted work (a teacher trained on first use) started. */
let progressStart = Date.now();

export const nodeFiles: HostFiles = {
  text: async (path) => (existsSync(inPublic(path)) ? readFileSync(inPublic(path), 'utf8') : null),
  bytes: async (path) => readIf(inPublic(path)),
  missing: (path) => `${inPublic(path)} is missing`,
  label: inPublic,
  cache: {
    get: async (key) => readIf(cacheFile(key)),
    async put(key, bytes) {
      mkdirSync(dirname(cacheFile(key)), { recursive: true });
      writeFileSync(cacheFile(key), bytes);
    },
    label: cacheFile,
  },
  progress(what, done, of) {
    if (done === 0) {
      progressStart = Date.now();
      process.stderr.write(`no shipped checkpoint: ${what} (${of} steps)…\n`);
    } else if (done % 100 === 0 || done === of) {
      const left = timeLeft(Date.now() - progressStart, done, of);
      process.stderr.write(`  ${what}: step ${done}/${of}${left ? `, ${left}` : ''}\n`);
    }
  },
};

export const nodeHost = createHost(nodeFiles);

/** A Hugging Face model folder on disk, read afresh each time (a run owns the model it gets). */
export function hfFolderOnDisk(dir: string): ImportedModel {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder (a Hugging Face model folder: config.json, model.safetensors, tokenizer.json)`);
  const names = readdirSync(dir);
  return {
    origin: `Hugging Face folder ${dir}`,
    read: () => readHfFolder(dir, { names, read: async (n) => (names.includes(n) ? new Uint8Array(readFileSync(join(dir, n))) : null) }),
  };
}

/** The host of a run: the shipped presets', or imported models' where --teacher (and --base) name folders. */
export function runHost(flags: { teacher?: string; base?: string }): Host {
  if (flags.base && !flags.teacher) throw new Error('--base needs --teacher (the base of a run on imported models)');
  return flags.teacher ? importedHost(nodeFiles, hfFolderOnDisk(flags.teacher), flags.base ? hfFolderOnDisk(flags.base) : undefined) : nodeHost;
}
