/**
 * What every fused WebGPU program here shares: the program object tfjs-backend-webgpu compiles
 * (it prepends bindings named after `variableNames`, a `uniforms` struct with every input's
 * shape, and `result` for the output), its dispatch (a workgroup per row, or a thread per item),
 * its own uniforms, and the helpers that register kernels running it.
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
  /** The program's own uniform fields (`declareUniforms(…).wgsl`). */
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
  device: { limits: { maxStorageBufferBindingSize: number } };
}

/**
 * A program's own uniforms, each named and typed once: `wgsl` (the struct's fields, for
 * Program.uniforms) and `values` (what the run passes) come out in the same order. One entry per
 * field: tfjs aligns each as its own uniform.
 */
export function declareUniforms<K extends string>(
  fields: Record<K, 'f32' | 'i32'>,
): { wgsl: string; values(v: Record<K, number>): Uniform[] } {
  const names = Object.keys(fields) as K[];
  return {
    wgsl: names.map((n) => `${n} : ${fields[n]},`).join(' '),
    values: (v) =>
      names.map((n) => {
        if (typeof v[n] !== 'number') throw new Error(`uniform ${n} is ${String(v[n])}, not a number`);
        return { type: fields[n] === 'f32' ? 'float32' : 'int32', data: [v[n]] };
      }),
  };
}

/** WebGPU's guaranteed workgroups per dispatch dimension (maxComputeWorkgroupsPerDimension). */
export const MAX_WORKGROUPS = 65535;

type Dispatch = Pick<Program, 'dispatchLayout' | 'dispatch' | 'workgroupSize'>;

/**
 * `groups` workgroups as a dispatch [x, y, 1], x filled first, neither past MAX_WORKGROUPS: tfjs
 * reshapes a dimension past the device's limit into [⌈√N⌉, ⌈√N⌉, 1] without telling the program.
 * x and y hold 65,535² ≈ 4.3·10⁹ workgroups, all that a u32 row index counts: z stays 1.
 */
export function spreadWorkgroups(groups: number, what: string): [number, number, number] {
  if (!Number.isInteger(groups) || groups < 0) throw new Error(`${what}: ${groups} workgroups`);
  if (groups > MAX_WORKGROUPS * MAX_WORKGROUPS) {
    throw new Error(`${what}: ${groups} workgroups, past the ${MAX_WORKGROUPS}² that a dispatch holds`);
  }
  const x = Math.max(1, Math.min(groups, MAX_WORKGROUPS));
  return [x, Math.max(1, Math.ceil(groups / x)), 1];
}

/** A workgroup of `threads` per row, `rows` of them; the program's main is `rowMain`. */
export function perRow(rows: number, threads: number): Dispatch {
  const dispatch = spreadWorkgroups(rows, `${rows} rows`);
  return { dispatchLayout: { x: [0] }, dispatch, workgroupSize: [threads, 1, 1] };
}

/**
 * Threads over `n` items, 64 to a workgroup, `index` in main: tfjs's getGlobalIndex reads the
 * workgroup's x and y, so the items may spread over y (tfjs's index is an i32).
 */
export function perItem(n: number): Dispatch {
  if (n > 2 ** 31 - 1) throw new Error(`${n} items: past the i32 index of tfjs's getGlobalIndex`);
  const dispatch = spreadWorkgroups(Math.max(1, Math.ceil(n / 64)), `${n} items`);
  return { dispatchLayout: { x: [0] }, dispatch, workgroupSize: [64, 1, 1] };
}

/**
 * Threads for a row `width` wide: the width rounded up to a power of two, from 8 up to `max`, so a
 * narrow row idles no workgroup of 64 (on SwiftShader each barrier costs per 4 threads).
 */
export const rowThreads = (width: number, max: number) =>
  Math.min(max, Math.max(8, 2 ** Math.ceil(Math.log2(Math.max(1, width)))));

/**
 * WGSL: `fn main` of a program dispatched by perRow, with `row` (this workgroup's row, x fastest,
 * then y) and `tid` (its thread) defined before `body`. The workgroups past the last row, `rows`
 * (a u32 expression of uniforms only), return first. The row passes through workgroup memory and
 * workgroupUniformLoad so that WGSL's uniformity analysis knows it is the same in the whole
 * workgroup (tfjs hands the builtins over in private variables, which the analysis does not trust):
 * the return is then uniform control flow, and `body` may hold barriers.
 */
export const rowMain = (rows: string, body: string) => `
  var<workgroup> kdRow : u32;
  fn main(index : i32) {
    if (localIndex == 0u) { kdRow = workgroupId.y * numWorkgroups.x + workgroupId.x; }
    let row = workgroupUniformLoad(&kdRow);
    if (row >= ${rows}) { return; }
    let tid = localId.x;
${body}
  }`;

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

/** A float32 or int32 tensor's bytes against the device's largest binding: past it, the bind group fails silently. */
function checkBinding(what: string, t: { shape: number[] }, limit: number): void {
  const bytes = 4 * t.shape.reduce((a, b) => a * b, 1);
  if (bytes > limit) {
    throw new Error(`${what} [${t.shape}] is ${bytes} bytes, past this device's maxStorageBufferBindingSize of ${limit}`);
  }
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: WebGPUBackendLike; attrs: tf.NamedAttrMap };

/**
 * Registers a webgpu kernel written by hand (for what registerProgram's pattern does not fit). Its
 * errors name the kernel and its inputs' shapes; every program it runs is checked to bind.
 */
export function registerKernelFunc(name: string, f: (args: KernelArgs) => tf.TensorInfo): void {
  if (tf.getKernel(name, 'webgpu')) return;
  tf.registerKernel({
    kernelName: name,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WebGPUBackendLike;
      const limit = b.device.limits.maxStorageBufferBindingSize;
      const checked: WebGPUBackendLike = {
        device: b.device,
        incRef: (id) => b.incRef(id),
        runWebGPUProgram: (program, ins, dtype, uniforms, output) => {
          ins.forEach((t, i) => checkBinding(`input ${program.variableNames[i]}`, t, limit));
          checkBinding('output', output ?? { shape: program.outputShape }, limit);
          return b.runWebGPUProgram(program, ins, dtype, uniforms, output);
        },
      };
      try {
        return f({ inputs, backend: checked, attrs: attrs ?? {} });
      } catch (e) {
        const shapes = Object.entries(inputs).map(([n, t]) => `${n} [${t?.shape}]`);
        throw new Error(`${name} on ${shapes.join(', ')}: ${(e as Error).message}`);
      }
    },
  });
}

/**
 * Registers kernel `name` on webgpu: `make` builds the program from the inputs' shapes and the
 * attributes, and gives the values of its uniforms.
 */
export function registerProgram(
  name: string,
  inputNames: string[],
  make: (shapes: number[][], attrs: Record<string, number>) => { program: Program; uniforms?: Uniform[] },
): void {
  registerKernelFunc(name, ({ inputs, backend, attrs }) => {
    const infos = inputNames.map((n) => {
      const t = inputs[n];
      if (!t) throw new Error(`missing input ${n}`);
      if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`input ${n} is ${t.dtype}, not float32 or int32`);
      return t;
    });
    const { program, uniforms } = make(
      infos.map((t) => t.shape),
      attrs as unknown as Record<string, number>,
    );
    return backend.runWebGPUProgram(program, infos, 'float32', uniforms);
  });
}
