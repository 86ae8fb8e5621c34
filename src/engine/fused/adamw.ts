/**
 * AdamW as WebGPU programs: the sum of squares of one gradient (for the global norm) in one
 * dispatch, and the whole update of one parameter — clip scale, moments, bias correction,
 * decoupled decay, the step, and "leave everything as it was" when the step is not finite — in
 * another, where the reference graph takes ~20 per parameter (src/distill/optim.ts).
 *
 * The update writes [3, n]: the new parameter, m and v, one row each; the optimiser keeps that
 * tensor as its state and reads m and v from rows 1 and 2 next time.
 */
import { FUSED } from '../../model/fused';
import { type Program, perItem, perRow, registerProgram } from './program';

const WG = 256;

function sumSquares([g]: number[][]): { program: Program } {
  return {
    program: {
      variableNames: ['g'],
      outputShape: [1],
      shaderKey: 'kdSumSquares',
      uniforms: 'n : i32,',
      ...perRow(1, WG),
      getUserCode: () => `
  var<workgroup> buf : array<f32, ${WG}>;
  fn main(index : i32) {
    let tid = localId.x;
    let n = u32(uniforms.n);
    var s = 0.0;
    for (var i = tid; i < n; i = i + ${WG}u) { let x = g[i]; s = s + x * x; }
    buf[tid] = s;
    workgroupBarrier();
    for (var w = ${WG / 2}u; w > 0u; w = w >> 1u) {
      if (tid < w) { buf[tid] = buf[tid] + buf[tid + w]; }
      workgroupBarrier();
    }
    if (tid == 0u) { result[0] = buf[0]; }
  }`,
    },
  };
}

/**
 * p [n], g [n], state [3, n] (rows 1 and 2: m, v; ignored at the first step), control [2]
 * (clip scale, 1 if the step is finite) → [3, n].
 */
function update(shapes: number[][]): { program: Program } {
  const n = shapes[0]!.reduce((a, b) => a * b, 1);
  return {
    program: {
      variableNames: ['p', 'g', 'state', 'control'],
      outputShape: [3, n],
      shaderKey: 'kdAdamW',
      uniforms: 'n : i32, first : i32, lr : f32, beta1 : f32, beta2 : f32, bc1 : f32, bc2 : f32, eps : f32, decay : f32,',
      ...perItem(n),
      getUserCode: () => `
  fn main(index : i32) {
    let n = uniforms.n;
    if (index >= n) { return; }
    let p0 = p[index];
    var m0 = 0.0;
    var v0 = 0.0;
    if (uniforms.first == 0) { m0 = state[n + index]; v0 = state[2 * n + index]; }
    let g1 = g[index] * control[0];
    let m1 = m0 * uniforms.beta1 + g1 * (1.0 - uniforms.beta1);
    let v1 = v0 * uniforms.beta2 + g1 * g1 * (1.0 - uniforms.beta2);
    let upd = (m1 / uniforms.bc1) / (sqrt(v1 / uniforms.bc2) + uniforms.eps) + p0 * uniforms.decay;
    let ok = control[1] > 0.5;
    result[index] = select(p0, p0 - upd * uniforms.lr, ok);
    result[n + index] = select(m0, m1, ok);
    result[2 * n + index] = select(v0, v1, ok);
  }`,
    },
  };
}

export function registerAdamW(): void {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  registerProgram(FUSED.sumSquares, ['g'], (s) => ({ ...sumSquares(s), uniforms: [{ type: 'int32', data: [size(s[0]!)] }] }));
  registerProgram(FUSED.adamW, ['p', 'g', 'state', 'control'], (s, a) => ({
    ...update(s),
    uniforms: [
      { type: 'int32', data: [size(s[0]!)] },
      { type: 'int32', data: [a.first!] },
      ...[a.lr!, a.beta1!, a.beta2!, a.bc1!, a.bc2!, a.eps!, a.decay!].map((x) => ({ type: 'float32' as const, data: [x] })),
    ],
  }));
}
