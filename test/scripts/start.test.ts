/**
 * The quick start's `npm start`: the dev server comes up, serves the app, and prints no error —
 * on a machine without a desktop too (it must not try to open a browser: `xdg-open` is missing
 * there, and trying to spawn it printed a stack trace).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { expect, test } from 'vitest';

const PORT = 5191;

function stop(p: ChildProcess): void {
  try {
    process.kill(-p.pid!, 'SIGTERM'); // npm, its shell and vite: the whole group
  } catch {
    // already gone
  }
}

test('npm start serves the app and prints no error', async () => {
  // No browser opener on PATH, as on a server; the tools npm and vite need stay reachable.
  const env = { ...process.env, DISPLAY: '', BROWSER: '', NO_COLOR: '1', FORCE_COLOR: '0' };
  const p = spawn('npm', ['start', '--', '--port', String(PORT), '--strictPort'], { detached: true, env });
  let out = '';
  // eslint-disable-next-line no-control-regex
  const plain = (d: unknown) => String(d).replace(/\x1b\[[0-9;]*m/g, ''); // vite colours its URL where it thinks a terminal is
  p.stdout!.on('data', (d) => (out += plain(d)));
  p.stderr!.on('data', (d) => (out += plain(d)));
  try {
    await expect.poll(() => out, { timeout: 60_000, interval: 200 }).toContain(`http://127.0.0.1:${PORT}/`);
    const page = await fetch(`http://127.0.0.1:${PORT}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    await new Promise((r) => setTimeout(r, 2000)); // an opener would fail within this
    console.log(out.trim().split('\n').filter((l) => l.trim() && !l.includes('npm warn')).slice(-6).join('\n'));
    expect(out).not.toMatch(/Error|ENOENT|xdg-open/);
  } finally {
    stop(p);
  }
}, 90_000);
