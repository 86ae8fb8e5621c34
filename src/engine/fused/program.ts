/**
 * What every fused WebGPU program here shares: the program object tfjs-backend-webgpu compiles
 * (it prepends bindings named after `variableNames`, a `uniforms` struct with every input's
 * shape, and `result` for the output), and a helper that registers a kernel running it.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The fields of tfjs-backend-webgpu's WebGPUProgram that these programs set. */
export interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** Extra uniform fields, e.g. 'eps : f32,'. */
  uniforms?: string;
  getUserCode(): string;
}

export interface Uniform {
  type: 'float32' | 'int32';
  data: number[];
}

export interface WebGPUBackendLike {
  runWebGPUProgram(program: Program, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms?: Uniform[], output?: tf.TensorInfo): tf.TensorInfo;
  incRef(dataId: tf.DataId): void;
}

/** Registers a webgpu kernel written by hand (for what registerProgram's pattern does not fit). */
export function registerKernelFunc(name: string, f: (args: { inputs: tf.NamedTensorInfoMap; backend: WebGPUBackendLike; attrs: tf.NamedAttrMap }) => tf.TensorInfo): void {
  if (tf.getKernel(name, 'webgpu')) return;
  tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc: ({ inputs, backend, attrs }) => f({ inputs, backend: backend as unknown as WebGPUBackendLike, attrs: attrs ?? {} }) });
}

/** WGSL's largest number of workgroups in one dispatch dimension. */
export const MAX_WORKGROUPS = 65535;

/** One workgroup per row, `rows` of them (callers check rows ≤ MAX_WORKGROUPS). */
export function perRow(rows: number, size: number): Pick<Program, 'dispatchLayout' | 'dispatch' | 'workgroupSize'> {
  return { dispatchLayout: { x: [0] }, dispatch: [rows, 1, 1], workgroupSize: [size, 1, 1] };
}

/** Threads over `n` items, 64 to a workgroup (`index` in main; spread over y past 65,535 groups). */
export function perItem(n: number): Pick<Program, 'dispatchLayout' | 'dispatch' | 'workgroupSize'> {
  const groups = Math.max(1, Math.ceil(n / 64));
  const x = Math.min(groups, MAX_WORKGROUPS);
  return { dispatchLayout: { x: [0] }, dispatch: [x, Math.ceil(groups / x), 1], workgroupSize: [64, 1, 1] };
}

/**
 * WGSL: workgroup memory `red` of `size` (a power of two) and `reduceRow(v, tid, useMax)`, which
 * sums (or takes the max of) one value per thread and returns it to every thread. Call it from
 * uniform control flow (it holds barriers).
 */
export const reduceRowWgsl = (size: number) => `
  var<workgroup> red : array<f32, ${size}>;
  fn reduceRow(v : f32, tid : u32, useMax : bool) -> f32 {
    red[tid] = v;
    workgroupBarrier();
    for (var w = ${size / 2}u; w > 0u; w = w >> 1u) {
      if (tid < w) { red[tid] = select(red[tid] + red[tid + w], max(red[tid], red[tid + w]), useMax); }
      workgroupBarrier();
    }
    let r = red[0];
    workgroupBarrier();
    return r;
  }`;

/** A tree sum of `buf` (workgroup memory of `size`, a power of two; `tid` the u32 thread index) into buf[0]. */
export const treeSum = (buf: string, size: number) => `
  for (var w = ${size / 2}u; w > 0u; w = w >> 1u) {
    if (tid < w) { ${buf}[tid] = ${buf}[tid] + ${buf}[tid + w]; }
    workgroupBarrier();
  }`;

/**
 * Registers kernel `name` on webgpu: `make` builds the program from the inputs' shapes and the
 * attributes, and names the uniforms it needs.
 */
export function registerProgram(name: string, inputNames: string[], make: (shapes: number[][], attrs: Record<string, number>) => { program: Program; uniforms?: Uniform[] }): void {
  if (tf.getKernel(name, 'webgpu')) return;
  tf.registerKernel({
    kernelName: name,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const infos = inputNames.map((n) => {
        const t = (inputs as Record<string, tf.TensorInfo | undefined>)[n];
        if (!t) throw new Error(`${name}: missing input ${n}`);
        if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`${name}: input ${n} is ${t.dtype}, not float32 or int32`);
        return t;
      });
      const { program, uniforms } = make(
        infos.map((t) => t.shape),
        attrs as unknown as Record<string, number>,
      );
      return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(program, infos, 'float32', uniforms);
    },
  });
}
