/**
 * The layering the code is built to (README, Layout), checked on the source itself: the UI takes
 * values only from the state layer; the worker protocol is a leaf; data/ never reaches into the
 * engine; one training loop; no source file too long to read at once.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { expect, test } from 'vitest';

const ROOT = join(__dirname, '..');

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((f) => {
    const p = join(dir, f);
    return statSync(join(ROOT, p)).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(f) ? [p] : [];
  });
}

interface Import {
  from: string;
  /** The imported file (without extension), relative to the repository, or the package name. */
  target: string;
  typeOnly: boolean;
}

/** Every import and re-export of a file, with whether it brings in types only. */
function imports(file: string): Import[] {
  const src = readFileSync(join(ROOT, file), 'utf8');
  const out: Import[] = [];
  for (const m of src.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s*from\s+'([^']+)'/gms)) {
    const spec = m[4]!;
    const names = m[3]!;
    // `import { type A, type B }` is types only too.
    const typeOnly = Boolean(m[2]) || (/^\{[^}]*\}$/s.test(names.trim()) && names.replace(/[{}\s]/g, '').split(',').filter(Boolean).every((n) => n.startsWith('type')));
    const target = spec.startsWith('.') ? normalize(join(dirname(file), spec)) : spec;
    out.push({ from: file, target, typeOnly });
  }
  for (const m of src.matchAll(/^import\s+'([^']+)'/gm)) out.push({ from: file, target: m[1]!.startsWith('.') ? normalize(join(dirname(file), m[1]!)) : m[1]!, typeOnly: false });
  return out;
}

const SRC = files('src');
const ALL = SRC.flatMap(imports);
const under = (dir: string) => (i: Import) => i.target.startsWith(`${dir}/`);
const fromDir = (dir: string) => ALL.filter((i) => i.from.startsWith(`${dir}/`));

test('the UI imports values only from src/state, its own files, React and recharts', () => {
  const bad = fromDir('src/ui').filter((i) => !i.typeOnly && !under('src/state')(i) && !under('src/ui')(i) && !/^(react|react-dom|recharts)(\/|$)/.test(i.target));
  expect(bad.map((i) => `${i.from} → ${i.target}`)).toEqual([]);
});

test('the UI and the state layer never import tfjs', () => {
  const bad = ALL.filter((i) => (i.from.startsWith('src/ui/') || i.from.startsWith('src/state/')) && i.target.startsWith('@tensorflow/'));
  expect(bad.map((i) => `${i.from} → ${i.target}`)).toEqual([]);
});

test('the protocol is a leaf: it imports only its own files and the run config, never the worker side', () => {
  const bad = fromDir('src/protocol').filter((i) => !under('src/protocol')(i) && !under('src/config')(i));
  expect(bad.map((i) => `${i.from} → ${i.target}`)).toEqual([]);
});

test('config/ and data/ do not reach up into the engine; data/ does not import config/ or distill/', () => {
  const up = ['src/distill', 'src/engine', 'src/state', 'src/ui', 'src/report'];
  const bad = [...fromDir('src/config'), ...fromDir('src/data')].filter((i) => up.some((d) => under(d)(i)) || (i.from.startsWith('src/data/') && under('src/config')(i)));
  expect(bad.map((i) => `${i.from} → ${i.target}`)).toEqual([]);
});

test('model/ is pure math: it imports only model/ and tfjs', () => {
  const bad = fromDir('src/model').filter((i) => !under('src/model')(i) && !i.target.startsWith('@tensorflow/'));
  expect(bad.map((i) => `${i.from} → ${i.target}`)).toEqual([]);
});

test('one training loop: only the step driver steps a trainer', () => {
  const everywhere = [...files('src'), ...files('scripts'), ...files('test')];
  const callers = everywhere.filter((f) => /\.trainStep\(\)/.test(readFileSync(join(ROOT, f), 'utf8')));
  expect(callers).toEqual(['src/distill/driver.ts']);
});

test('no file in src/ is over 300 lines', () => {
  const long = SRC.map((f) => ({ f, n: readFileSync(join(ROOT, f), 'utf8').split('\n').length })).filter((x) => x.n > 300);
  expect(long).toEqual([]);
});

test('source comments cite documents in the repository only, and those exist', () => {
  const outside: string[] = [];
  const missing: string[] = [];
  for (const f of [...SRC, ...files('scripts')]) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    if (/design §|design\.md|shared\/|notes\//.test(text)) outside.push(f);
    for (const m of text.matchAll(/\bdocs\/[\w./-]+\.md\b/g)) if (!existsSync(join(ROOT, m[0]))) missing.push(`${f} → ${m[0]}`);
  }
  expect(outside).toEqual([]);
  expect(missing).toEqual([]);
});

test('the checker sees what it checks (it would catch a UI file importing the engine)', () => {
  expect(SRC.length).toBeGreaterThan(50);
  expect(fromDir('src/ui').some((i) => under('src/state')(i) && !i.typeOnly)).toBe(true);
  expect(fromDir('src/protocol').length).toBeGreaterThan(0);
  const probe = imports(relative(ROOT, join(ROOT, 'src/engine/worker.ts')));
  expect(probe.some((i) => i.target === 'src/engine/session' && !i.typeOnly)).toBe(true);
  expect(probe.some((i) => i.target === 'src/protocol/messages' && i.typeOnly === false)).toBe(true);
});
