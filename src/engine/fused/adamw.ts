/**
 * AdamW as WebGPU programs, for a group of up to GROUP parameters at a time (a program may bind
 * only 8 storage buffers), where the reference graph takes ~20 dispatches per parameter
 * (src/distill/optim.ts):
 *   KdSumSquares   Σ g² over every gradient of a group (for the global norm) → [1];
 *   KdAdamMoments  the group's moments, in place in one state tensor [m (Σn) | v (Σn)]: the
 *                  clipped gradient into m and v — unless the step is not finite (or a dry run),
 *                  when they stay as they were;
 *   KdAdamParam    one parameter's new value from its moments: bias correction, the step and
 *                  decoupled decay, written to a new tensor (the old one stays intact, as the
 *                  trainer's swap expects) — or the old value where the step is not applied.
 * `control` [2] = (clip scale, 1 if the step is applied) comes from the device: no readback.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ADAM_GROUP, FUSED } from '../../model/fused';
import { type Program, declareUniforms, perItem, perRow, registerKernelFunc, reduceRowWgsl, rowMain } from './program';

const WG = 256;

const SUM = declareUniforms({ total: 'i32' });
const MOMENTS = declareUniforms({ beta1: 'f32', beta2: 'f32' });
const PARAM = declareUniforms({ n: 'i32', offset: 'i32', lr: 'f32', bc1: 'f32', bc2: 'f32', eps: 'f32', decay: 'f32' });

const gradNames = (k: number) => Array.from({ length: k }, (_, j) => `g${j}`);

/** The group's gradients from the kernel's inputs (named g0, g1, …), checked. */
function groupInputs(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  const gs: tf.TensorInfo[] = [];
  for (let j = 0; inputs[`g${j}`]; j++) gs.push(inputs[`g${j}`]!);
  if (gs.length < 1 || gs.length > ADAM_GROUP) throw new Error(`1 to ${ADAM_GROUP} gradients (g0, g1, …), got ${gs.length}`);
  return gs;
}

const size = (t: tf.TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

function sumSquares(sizes: number[]): Program {
  const k = sizes.length;
  const loops = sizes.map((n, j) => `for (var i = tid; i < ${n}u; i = i + ${WG}u) { let x = g${j}[i]; s = s + x * x; }`).join('\n    ');
  return {
    variableNames: gradNames(k),
    outputShape: [1],
    shaderKey: `kdSumSquares_${sizes.join('_')}`,
    uniforms: SUM.wgsl,
    ...perRow(1, WG),
    getUserCode: () => `
  ${reduceRowWgsl(WG)}
  ${rowMain('1u', `
    var s = 0.0;
    ${loops}
    let sum = reduceRow(s, tid, false);
    // (reads a uniform: tfjs binds the uniforms, and a shader that never reads them fails validation)
    if (tid == 0u && uniforms.total > 0) { result[0] = sum; }`)}`,
  };
}

/** state [2·Σn] in place: a thread per element of the group, its gradient found by offset. */
function moments(sizes: number[]): Program {
  const total = sizes.reduce((a, b) => a + b, 0);
  let off = 0;
  const pick = sizes
    .map((n, j) => {
      const s = `if (i >= ${off}u && i < ${off + n}u) { g = g${j}[i - ${off}u]; }`;
      off += n;
      return s;
    })
    .join(' else ');
  return {
    variableNames: [...gradNames(sizes.length), 'control'],
    outputShape: [2 * total],
    shaderKey: `kdAdamMoments_${sizes.join('_')}`,
    uniforms: MOMENTS.wgsl,
    ...perItem(total),
    getUserCode: () => `
  fn main(index : i32) {
    if (index >= ${total}) { return; }
    let i = u32(index);
    if (control[1] < 0.5) { return; } // not applied: the moments stay as they were
    var g = 0.0;
    ${pick}
    g = g * control[0];
    result[i] = result[i] * uniforms.beta1 + g * (1.0 - uniforms.beta1);
    result[${total}u + i] = result[${total}u + i] * uniforms.beta2 + g * g * (1.0 - uniforms.beta2);
  }`,
  };
}

/** p [shape], state [2·Σn] (this parameter's moments at `offset`), control → the new p. */
function param(p: tf.TensorInfo, total: number): Program {
  return {
    variableNames: ['p', 'state', 'control'],
    outputShape: p.shape,
    shaderKey: `kdAdamParam_${total}`,
    uniforms: PARAM.wgsl,
    ...perItem(size(p)),
    getUserCode: () => `
  fn main(index : i32) {
    if (index >= uniforms.n) { return; }
    let p0 = p[index];
    let m = state[uniforms.offset + index];
    let v = state[${total} + uniforms.offset + index];
    let upd = (m / uniforms.bc1) / (sqrt(v / uniforms.bc2) + uniforms.eps) + p0 * uniforms.decay;
    result[index] = select(p0, p0 - upd * uniforms.lr, control[1] > 0.5);
  }`,
  };
}

export function registerAdamW(): void {
  registerKernelFunc(FUSED.sumSquares, ({ inputs, backend }) => {
    const gs = groupInputs(inputs);
    const sizes = gs.map(size);
    const total = sizes.reduce((a, b) => a + b, 0);
    return backend.runWebGPUProgram(sumSquares(sizes), gs, 'float32', SUM.values({ total }));
  });
  // In place: the program updates the state's own buffer and the result shares it (as a reshape
  // does), so the state tensor passed in must not be used again by its owner.
  registerKernelFunc(FUSED.adamMoments, ({ inputs, backend, attrs }) => {
    const gs = groupInputs(inputs);
    const { state, control } = inputs as unknown as { state: tf.TensorInfo; control: tf.TensorInfo };
    const sizes = gs.map(size);
    if (size(state) !== 2 * sizes.reduce((a, b) => a + b, 0)) {
      throw new Error(`a state of ${size(state)} for gradients of ${sizes.join(' + ')}`);
    }
    const a = attrs as unknown as { beta1: number; beta2: number };
    backend.incRef(state.dataId);
    const output = { dataId: state.dataId, shape: state.shape, dtype: 'float32' as const };
    return backend.runWebGPUProgram(moments(sizes), [...gs, control], 'float32', MOMENTS.values(a), output);
  });
  registerKernelFunc(FUSED.adamParam, ({ inputs, backend, attrs }) => {
    const { p, state, control } = inputs as unknown as Record<'p' | 'state' | 'control', tf.TensorInfo>;
    const a = attrs as unknown as Record<'offset' | 'lr' | 'bc1' | 'bc2' | 'eps' | 'decay', number>;
    const total = size(state) / 2;
    if (a.offset + size(p) > total) throw new Error(`a parameter of ${size(p)} at ${a.offset} of a state of ${total}`);
    const uniforms = PARAM.values({ ...a, n: size(p) });
    return backend.runWebGPUProgram(param(p, total), [p, state, control], 'float32', uniforms);
  });
}
