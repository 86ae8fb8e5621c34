/**
 * The bench page (bench.html): the same benchmark rows as `npm run bench`, measured in this
 * browser's engine worker, so that Chromium and Node figures can be set side by side on one
 * adapter. Reads its options from the address; shows progress, then the table; leaves the rows
 * as JSON on `document.body.dataset.rows` for scripts (scripts/bench-browser.ts).
 */
import { EngineClient } from './engine/client';
import { BACKEND_ORDER, type BackendName, describeBackend } from './protocol/backend';
import type { BenchRow } from './protocol/bench';
import { benchTable } from './report/bench-table';

const params = new URLSearchParams(location.search);
const list = (k: string, d: string) => (params.get(k) ?? d).split(',').filter(Boolean);
const num = (k: string, d: number) => {
  const v = Number(params.get(k) ?? d);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${k} must be a whole number, got ${params.get(k)}`);
  return v;
};
const status = document.getElementById('status')!;
const table = document.getElementById('table')!;

async function main(): Promise<void> {
  const backend = (params.get('backend') ?? 'webgpu') as BackendName;
  if (!BACKEND_ORDER.includes(backend)) throw new Error(`backend must be one of ${BACKEND_ORDER.join(', ')}`);
  const engine = new EngineClient();
  const info = await engine.request({ type: 'init', backend });
  const adapter = describeBackend(info);
  document.body.dataset.adapter = adapter;
  const rows: BenchRow[] = [];
  const [steps, warmup, rollouts] = [num('steps', 5), num('warmup', 2), num('rollouts', 3)];
  for (const preset of list('presets', 'tiny')) {
    for (const method of list('methods', 'ft,kd-lora,sti-lora')) {
      for (const kernels of list('kernels', 'fused,reference')) {
        status.textContent = `${adapter}: ${preset} ${method} ${kernels} …`;
        rows.push(await engine.request({ type: 'bench', preset, method, kernels, steps, warmup, rollouts }));
        table.textContent = benchTable(rows);
      }
    }
  }
  status.textContent = `${adapter} · ${warmup} warm-up + ${steps} timed steps per row · ${new Date().toISOString()}`;
  document.body.dataset.rows = JSON.stringify(rows);
  engine.dispose();
}

main().catch((e: unknown) => {
  status.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  document.body.dataset.error = status.textContent;
});
