/**
 * Backend selection in the browser (runs inside the engine worker): ask for a WebGPU adapter
 * first, then try webgpu → webgl → wasm → cpu, checking that each choice really took (tfjs registers
 * webgpu whenever navigator.gpu exists, even with no adapter, and setBackend then resolves false).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// Chained tensor methods (t.cast(), …), as the Node host's @tensorflow/tfjs bundle has them: one engine, two hosts.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { bufferLedger } from '../model/buffers';
import { registerFusedKernels } from './fused';
import { registerSharedIdentity, registerUnsortedSegmentSum } from './kernels';
import { type AdapterInfo, adapterInfo, BACKEND_ORDER, isSoftwareAdapter, SOFTWARE_ADAPTER, type BackendInfo, type BackendName, type BackendTry } from '../protocol/backend';

// The wasm binaries are served from the app's own origin, like everything else.
setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
registerUnsortedSegmentSum('wasm');
registerSharedIdentity('wasm');
registerFusedKernels();

async function webgpuAdapter(): Promise<{ adapter: AdapterInfo | null; reason?: string }> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { adapter: null, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  let a: GPUAdapter | null = null;
  try {
    a = await gpu.requestAdapter();
  } catch (e) {
    return { adapter: null, reason: `requestAdapter() failed: ${(e as Error).message}` };
  }
  if (!a) return { adapter: null, reason: 'no WebGPU adapter (requestAdapter() returned null; in Chromium, WebGPU may need --enable-unsafe-webgpu)' };
  return { adapter: adapterInfo(a) };
}

function webglRenderer(): AdapterInfo | null {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  if (!gl) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const vendor = String(gl.getParameter(ext ? ext.UNMASKED_VENDOR_WEBGL : gl.VENDOR) ?? '');
  const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  return { vendor, architecture: '', device: renderer, description: renderer, isFallbackAdapter: SOFTWARE_ADAPTER.test(renderer) };
}

/** Runs a small op and reads it back: a backend that "took" but cannot compute fails here. */
async function smokeTest(): Promise<void> {
  const y = tf.tidy(() => tf.sum(tf.mul(tf.tensor1d([1, 2, 3]), 2)));
  const v = (await y.data())[0];
  y.dispose();
  if (v !== 12) throw new Error(`smoke test computed ${v}, expected 12`);
}

async function tryBackend(name: BackendName): Promise<{ ok: boolean; adapter: AdapterInfo | null; error?: string }> {
  bufferLedger(); // before the first tensor: the resources table's distinct-buffer peak counts every buffer
  let adapter: AdapterInfo | null = null;
  if (name === 'webgpu') {
    const probe = await webgpuAdapter();
    if (!probe.adapter) return { ok: false, adapter: null, error: probe.reason };
    adapter = probe.adapter;
  }
  if (!tf.findBackendFactory(name)) return { ok: false, adapter, error: `tfjs has no ${name} backend registered here` };
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    return { ok: false, adapter, error: `setBackend('${name}') threw: ${(e as Error).message}` };
  }
  if (!ok || tf.getBackend() !== name) return { ok: false, adapter, error: `setBackend('${name}') did not take` };
  try {
    await smokeTest();
  } catch (e) {
    return { ok: false, adapter, error: `${name} failed its smoke test: ${(e as Error).message}` };
  }
  if (name === 'webgl') adapter = webglRenderer();
  return { ok: true, adapter };
}

/** Picks the first backend that works, starting with `preferred` when given. */
export async function selectBackend(preferred?: BackendName): Promise<BackendInfo> {
  const order = preferred ? [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)] : [...BACKEND_ORDER];
  const tried: BackendTry[] = [];
  for (const name of order) {
    const r = await tryBackend(name);
    tried.push({ name, ok: r.ok, error: r.error });
    if (!r.ok) continue;
    const software = name === 'cpu' || name === 'wasm' || Boolean(r.adapter && isSoftwareAdapter(r.adapter));
    const firstChoice = order[0]!;
    return {
      name,
      requested: preferred ?? null,
      adapter: r.adapter,
      software,
      fallback: name !== firstChoice,
      fallbackReason: name !== firstChoice ? tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.error}`).join('; ') : null,
      tried,
    };
  }
  throw new Error(`no tfjs backend works here: ${tried.map((t) => `${t.name}: ${t.error}`).join('; ')}`);
}
