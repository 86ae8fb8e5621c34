/** Every relative link and image in the README and docs/ points at a file of the repository. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from 'vitest';

const pages = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

test.each(pages.map((p) => [p]))('the links of %s resolve', (page) => {
  const text = readFileSync(page, 'utf8');
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)|<img src="([^"]+)"/g)].map((m) => (m[1] ?? m[2])!).filter((t) => !/^(https?:|#|mailto:)/.test(t));
  const missing = targets.filter((t) => !existsSync(join(dirname(page), t.split('#')[0]!)));
  expect(missing, page).toEqual([]);
});
