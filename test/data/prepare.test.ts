/** prepare-data: two runs give identical manifests, and every file matches its recorded sha256. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { DataManifest } from '../../src/data/corpus';

test('two runs of prepare-data write identical manifests and files', () => {
  const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'kd-data-')));
  for (const d of dirs) execFileSync('npx', ['tsx', 'scripts/prepare-data.ts', '--out', d], { stdio: 'pipe' });
  const [a, b] = dirs.map((d) => readFileSync(join(d, 'manifest.json'), 'utf8'));
  expect(b).toBe(a);
  const m = JSON.parse(a!) as DataManifest;
  expect(m.files['sotu-train.txt']!.documents + m.files['sotu-val.txt']!.documents + m.files['sotu-test.txt']!.documents).toBe(233);
  expect(m.files['moby-test.txt']!.documents).toBeGreaterThan(10);
  for (const [name, f] of Object.entries(m.files)) {
    const text = readFileSync(join(dirs[0]!, name), 'utf8');
    expect(createHash('sha256').update(text, 'utf8').digest('hex'), name).toBe(f.sha256);
    expect(/[\u2018\u2019\u201C\u201D\u2014\u0002]/.test(text), `${name} is normalised`).toBe(false);
  }
});
