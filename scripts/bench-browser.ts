/**
 * npm run bench:browser -- [--presets a,b] [--methods a,b] [--kernels fused,reference] [--steps N] [--warmup K] [--rollouts R] [--json FILE]
 *
 * The browser side of `npm run bench`: builds the app, serves it (vite preview), opens its bench
 * page (bench.html) in Debian's Chromium with WebGPU on, and prints the rows the page measured in
 * its engine worker, with the adapter Chromium reported. On a machine without a GPU that adapter
 * is SwiftShader, as for Node's Dawn: the same adapter on both sides, figures side by side.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from '@playwright/test';
import { METHODS } from '../src/config/knobs';
import { PRESET_NAMES } from '../src/config/presets';
import { KERNEL_SETS } from '../src/model/fused';
import type { BenchRow } from '../src/protocol/bench';
import { benchTable } from '../src/report/bench-table';
import { type CliOptions, type FlagSpec, parseCli, runScript } from './lib/cli';

const FLAGS = {
  presets: { kind: 'list', choices: PRESET_NAMES, default: 'tiny', help: 'presets to time' },
  methods: { kind: 'list', choices: METHODS, default: 'ft,kd-lora,sti-lora', help: 'methods to time' },
  kernels: { kind: 'list', choices: KERNEL_SETS, default: 'fused,reference', help: 'kernel sets to time' },
  steps: { kind: 'int', min: 1, max: 1000, default: '5', help: 'timed steps per row' },
  warmup: { kind: 'int', min: 0, max: 100, default: '2', help: 'untimed steps first' },
  rollouts: { kind: 'int', min: 0, max: 100, default: '3', help: 'timed rollouts per on-policy row' },
  'no-build': { kind: 'bool', help: 'serve the existing dist/ (skip vite build)' },
  port: { kind: 'int', min: 1024, max: 65535, default: '4179', help: 'port of the preview server' },
  json: { kind: 'string', help: 'write the rows (and the adapter) to this file' },
} as const satisfies Record<string, FlagSpec>;

const CLI: CliOptions = { usage: 'npm run bench:browser -- [--presets a,b] [--methods a,b] [--kernels fused,reference] [--steps N] [--warmup K] [--json FILE]' };
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const QUIET = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const { flags } = parseCli(process.argv.slice(2), FLAGS, CLI);
  if (!flags['no-build']) await run('npx', ['vite', 'build', '--logLevel', 'warn']);
  const server = spawn('npx', ['vite', 'preview', '--port', String(flags.port), '--strictPort', '--host', '127.0.0.1'], { stdio: 'ignore', detached: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...QUIET, '--enable-unsafe-webgpu'] });
  try {
    const base = `http://127.0.0.1:${flags.port}`;
    for (let i = 0; ; i++) {
      if (await fetch(base).then((r) => r.ok, () => false)) break;
      if (i > 100) throw new Error('the preview server did not start');
      await new Promise((r) => setTimeout(r, 300));
    }
    const page = await browser.newPage();
    const q = new URLSearchParams({ presets: flags.presets.join(','), methods: flags.methods.join(','), kernels: flags.kernels.join(','), steps: String(flags.steps), warmup: String(flags.warmup), rollouts: String(flags.rollouts) });
    await page.goto(`${base}/bench.html?${q}`);
    let last = '';
    for (;;) {
      const state = await page.evaluate(() => ({ rows: document.body.dataset.rows, error: document.body.dataset.error, status: document.getElementById('status')?.textContent ?? '' }));
      if (state.error) throw new Error(`the bench page says: ${state.error}`);
      if (state.rows) {
        const rows = JSON.parse(state.rows) as BenchRow[];
        const adapter = `Chromium ${browser.version()} · ${await page.evaluate(() => document.body.dataset.adapter ?? '')}`;
        console.log(`\nbackend: ${adapter}\n${flags.warmup} warm-up + ${flags.steps} timed steps per row; ${new Date().toISOString()}\n`);
        console.log(benchTable(rows));
        if (flags.json) {
          mkdirSync(dirname(flags.json) || '.', { recursive: true });
          writeFileSync(flags.json, JSON.stringify({ adapter, date: new Date().toISOString(), rows }, null, 1));
          console.log(`wrote ${flags.json}`);
        }
        return;
      }
      if (state.status !== last) process.stderr.write(`${(last = state.status)}\n`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await browser.close();
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

runScript(main, CLI);
