/**
 * The README's commands run as written: every command of its Quick start (after the install and
 * the tests themselves) and of its command-line and real-model sections, in a scratch folder that
 * sees the repository's files, in the order shown. The long ones it marks as such are left out.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';

const README = readFileSync('README.md', 'utf8');

/** The commands of the sh blocks between two headings (comments after # dropped). */
function commands(from: string, to: string, skipBlocksAfter?: string): string[] {
  const start = README.indexOf(from);
  const end = README.indexOf(to, start);
  if (start < 0 || end < 0) throw new Error(`README has no section from "${from}" to "${to}"`);
  let text = README.slice(start, end);
  if (skipBlocksAfter) text = text.slice(0, text.indexOf(skipBlocksAfter));
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean));
}

const QUICK_START = commands('## Quick start', '## What it does').filter((c) => !/^npm (install|test|start)\b/.test(c));
const CLI = commands('## Distillation from the command line', '### The methods', 'These commands are long');

// A scratch folder with the repository's files, so that the examples' outputs (out.json, tiny/, out/, results/) land there.
const scratch = mkdtempSync(join(tmpdir(), 'readme-'));
for (const name of ['package.json', 'node_modules', 'scripts', 'src', 'public', 'tsconfig.json']) symlinkSync(resolve(name), join(scratch, name));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(command: string): string {
  const [program, ...args] = command.split(/\s+/);
  expect(program, command).toBe('npm');
  return execFileSync('npm', args, { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
}

test('the README shows the commands this test runs', () => {
  expect(QUICK_START).toEqual(['npm run distill -- --preset tiny --method sti-lora --steps 200']);
  expect(CLI.length).toBeGreaterThanOrEqual(7);
  expect(CLI.some((c) => c.includes('--shape gpt2-small'))).toBe(false);
});

test.each([...QUICK_START, ...CLI].map((c) => [c]))('runs as written: %s', (command) => {
  const out = run(command);
  if (command.includes('--help')) expect(out).toContain('usage: npm run distill');
  else if (command.startsWith('npm run distill')) {
    expect(out).toMatch(/summary \([\d.]+ s on /);
    if (QUICK_START.includes(command)) {
      // The Quick start says what this run shows: the test perplexity before and after.
      const [, before, after] = /perplexity\s+([\d.]+) → ([\d.]+)/.exec(out)!;
      expect(README.replace(/\s+/g, ' ')).toContain(`falls from about ${Number(before).toFixed(1)} to ${Number(after).toFixed(1)}`);
    }
  }
  else if (command.startsWith('npm run eval-checkpoint')) expect(out).toMatch(/mean NLL \d+\.\d+ over \d+ tokens/);
  else if (command.startsWith('npm run make-tiny-gpt2')) expect(out).toMatch(/a GPT-2 of 4 layers/);
  else if (command.startsWith('npm run paper-table')) expect(out).toContain('inference time vs full fine-tuning');
  else throw new Error(`no check for ${command}`);
}, 240_000);
