/**
 * Counts what a real GPU pays for per step, whatever the adapter: compute dispatches, queue
 * submits and GPU→CPU readbacks (buffer maps), by wrapping the WebGPU prototypes of this realm
 * (a browser worker's, or Dawn's in Node). Install once, before any GPU work; read with `take()`.
 */

export interface GpuCounts {
  dispatches: number;
  submits: number;
  readbacks: number;
  /** Compute passes begun (tfjs-webgpu ends one at every submit or readback). */
  passes: number;
  /** GPU buffers created (tfjs pools them; new ones after warm-up mean the pool still grows). */
  buffers: number;
}

const counts: GpuCounts = { dispatches: 0, submits: 0, readbacks: 0, passes: 0, buffers: 0 };
let installed = false;

type Proto = Record<string, unknown>;

function wrap(ctor: unknown, method: string, key: keyof GpuCounts): boolean {
  const proto = (ctor as { prototype?: Proto } | undefined)?.prototype;
  const original = proto?.[method];
  if (!proto || typeof original !== 'function') return false;
  proto[method] = function (this: unknown, ...args: unknown[]) {
    counts[key]++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  return true;
}

/** Wraps the prototypes; false where this realm has no WebGPU classes (then nothing is counted). */
export function installGpuCounters(): boolean {
  if (installed) return true;
  const g = globalThis as Record<string, unknown>;
  const ok = wrap(g.GPUComputePassEncoder, 'dispatchWorkgroups', 'dispatches');
  if (!ok) return false;
  wrap(g.GPUQueue, 'submit', 'submits');
  wrap(g.GPUBuffer, 'mapAsync', 'readbacks');
  wrap(g.GPUCommandEncoder, 'beginComputePass', 'passes');
  wrap(g.GPUDevice, 'createBuffer', 'buffers');
  installed = true;
  return true;
}

/** The counts since the last take (all zero where the counters are not installed). */
export function takeGpuCounts(): GpuCounts {
  const out = { ...counts };
  for (const k of Object.keys(counts) as (keyof GpuCounts)[]) counts[k] = 0;
  return out;
}
