/**
 * `paper-table --resources` made in parts: the file names the methods it holds in its command and
 * says it is partial until all eight are there; --resume adds rows and keeps the ones made.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'kd-resources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const table = (args: string[]) =>
  execFileSync('npx', ['tsx', 'scripts/paper-table.ts', '--preset', 'tiny', '--resources', '--steps', '1', '--batchSize', '2', '--backend', 'cpu', '--out', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('a part names its methods; --resume with others adds them, the earlier rows kept', () => {
  table(['--methods', 'lora']);
  const first = JSON.parse(readFileSync(join(dir, 'tiny-resources.json'), 'utf8'));
  table(['--methods', 'ft', '--resume']);
  const md = readFileSync(join(dir, 'tiny-resources.md'), 'utf8');
  const json = JSON.parse(readFileSync(join(dir, 'tiny-resources.json'), 'utf8'));
  expect(json.rows.map((r: { method: string }) => r.method)).toEqual(['ft', 'lora']);
  expect(json.rows[1]).toEqual(first.rows[0]); // lora as the first part measured it
  expect(json.partial).toBe(true);
  expect(json.command).toBe(`npm run paper-table -- --preset tiny --resources --steps 1 --batchSize 2 --methods ft,lora --backend cpu --out ${dir}`);
  expect(md).toContain(`Command: \`${json.command}\``);
  expect(md).toContain('**Partial: 2 of 8 methods**');
}, 300_000);
