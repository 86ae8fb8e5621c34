/**
 * A WebGPU device in Node: Dawn (the `webgpu` npm package, the WebGPU implementation inside
 * Chrome, built for Node) on whatever Vulkan driver the machine has — a real GPU's, or the
 * SwiftShader driver that Debian's chromium package ships (a CPU emulation, for tests). Gives the
 * process the WebGPU globals and a `navigator.gpu`; imports no tfjs, so a benchmark of another
 * tfjs-based library (scripts/bench-compare.ts) gets the same adapter the same way.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { type AdapterInfo, adapterInfo, isSoftwareAdapter } from '../protocol/backend';

/** The SwiftShader Vulkan driver of Debian's chromium package. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface NodeGpu {
  adapter: AdapterInfo;
  software: boolean;
  /** How the Vulkan driver was found: the system's, or the one named by VK_ICD_FILENAMES. */
  driver: string;
}

/**
 * The system's Vulkan driver first; where it has none that Dawn accepts (no GPU, or a too-old
 * lavapipe) and no driver was named, Chromium's SwiftShader.
 */
export async function installDawnGpu(): Promise<NodeGpu> {
  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (e) {
    throw new Error(`webgpu in Node needs the "webgpu" npm package (a devDependency: run npm install): ${(e as Error).message}`);
  }
  Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUComputePassEncoder, ...
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  const named = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  let gpu = dawn.create([]);
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    adapter = null;
  }
  let driver = named ? `VK_ICD_FILENAMES=${named}` : 'the system Vulkan driver';
  if (!adapter && !named && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD; // the Vulkan loader reads it when Dawn makes an instance
    gpu = dawn.create([]);
    adapter = await gpu.requestAdapter();
    driver = `Chromium's SwiftShader (${SWIFTSHADER_ICD})`;
  }
  if (!adapter) {
    throw new Error(
      'no WebGPU adapter in Node: Dawn found no Vulkan driver it can use. Install the Vulkan loader (apt-get install libvulkan1) ' +
        `and a GPU driver, or Debian's chromium for its SwiftShader driver (${SWIFTSHADER_ICD}), or name a driver with VK_ICD_FILENAMES.`,
    );
  }
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
  const info = adapterInfo(adapter);
  return { adapter: info, software: isSoftwareAdapter(info), driver };
}

/** One line naming a Dawn adapter: every benchmark figure needs it. */
export function describeDawn(g: NodeGpu): string {
  const a = g.adapter;
  return `webgpu · ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' ')}${g.software ? ' (software adapter)' : ''} via Dawn in Node, ${g.driver}${g.software ? " — a CPU emulation: timings are not a GPU's" : ''}`;
}
