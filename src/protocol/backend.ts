/** Plain data about the active backend, shared by the worker and the UI (no tfjs import). */

export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software/fallback adapter (e.g. SwiftShader): timings are not representative. */
  isFallbackAdapter: boolean;
}

/** Software rasterisers/emulators: timings on them say nothing about real GPUs. */
export const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i;

export function isSoftwareAdapter(a: AdapterInfo): boolean {
  return a.isFallbackAdapter || SOFTWARE_ADAPTER.test(`${a.vendor} ${a.architecture} ${a.description} ${a.device}`);
}

/** What a GPUAdapter says of itself, as plain data (browser and Node's Dawn alike). */
export function adapterInfo(a: GPUAdapter): AdapterInfo {
  const info = (a as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const isFallback = Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (a as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: isFallback,
  };
}

export interface BackendTry {
  name: BackendName;
  ok: boolean;
  error?: string;
}

export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** What was asked for, if anything. */
  requested: BackendName | null;
  adapter: AdapterInfo | null;
  /** A software adapter or the CPU: timings are not representative of a real GPU. */
  software: boolean;
  /** True when the first choice failed and a later one is in use. */
  fallback: boolean;
  /** Why the earlier choices failed. */
  fallbackReason: string | null;
  tried: BackendTry[];
}

/** A one-line human description for the badge, e.g. "webgpu · google swiftshader (software)". */
export function describeBackend(info: BackendInfo): string {
  const a = info.adapter;
  const adapter = a ? [a.vendor, a.architecture || a.description].filter(Boolean).join(' ') : '';
  const cpuSide = info.name === 'cpu' || info.name === 'wasm';
  return `${info.name}${adapter ? ` · ${adapter}` : ''}${info.software ? (cpuSide ? ' (CPU)' : ' (software adapter)') : ''}`;
}
