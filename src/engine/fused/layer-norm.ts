/**
 * LayerNorm as WebGPU programs: the forward in one dispatch (a workgroup per row reduces the
 * mean, then the variance, then writes the row), and the backward's pieces (row statistics, dx,
 * d gain). The op with its gradient is `fusedLayerNorm` in src/model/fused/training.ts; tests compare
 * every output with the reference graph.
 *
 * With xhat = (x − μ)·r, r = 1/√(σ² + ε), g = dy·gain:
 *   dx = r · (g − mean(g) − xhat · mean(g · xhat)),  d gain = Σ_rows dy · xhat,  d bias = Σ_rows dy.
 */
import { FUSED } from '../../model/fused';
import { type Program, perItem, perRow, registerProgram, treeSum } from './program';

const WG = 64; // threads per row; rows are C wide (128 here, 768 in GPT-2)

/** Mean and 1/√(var + ε) of row `row` of `x` into `mu` and `rstd` (every thread gets them). */
const rowStats = (x: string) => `
  var s = 0.0;
  for (var c = tid; c < C; c = c + ${WG}u) { s = s + ${x}[row * C + c]; }
  buf[tid] = s;
  workgroupBarrier();
  ${treeSum('buf', WG)}
  let mu = buf[0] / f32(C);
  workgroupBarrier();
  var q = 0.0;
  for (var c = tid; c < C; c = c + ${WG}u) { let d = ${x}[row * C + c] - mu; q = q + d * d; }
  buf[tid] = q;
  workgroupBarrier();
  ${treeSum('buf', WG)}
  let rstd = inverseSqrt(buf[0] / f32(C) + uniforms.eps);
  workgroupBarrier();`;

const header = `
  var<workgroup> buf : array<f32, ${WG}>;
  var<workgroup> buf2 : array<f32, ${WG}>;
  fn main(index : i32) {
    let tid = localId.x;
    let row = workgroupId.x;`;

function forward([x]: number[][]): { program: Program } {
  const [N, C] = x as [number, number];
  return {
    program: {
      variableNames: ['x', 'gain', 'bias'],
      outputShape: [N, C],
      shaderKey: 'kdLayerNorm',
      uniforms: 'eps : f32,',
      ...perRow(N, WG),
      getUserCode: () => `${header}
    let C = u32(uniforms.xShape[1]);
    ${rowStats('x')}
    for (var c = tid; c < C; c = c + ${WG}u) {
      result[row * C + c] = (x[row * C + c] - mu) * rstd * gain[c] + bias[c];
    }
  }`,
    },
  };
}

function stats([x]: number[][]): { program: Program } {
  const [N] = x as [number, number];
  return {
    program: {
      variableNames: ['x'],
      outputShape: [N, 2],
      shaderKey: 'kdLayerNormStats',
      uniforms: 'eps : f32,',
      ...perRow(N, WG),
      getUserCode: () => `${header}
    let C = u32(uniforms.xShape[1]);
    ${rowStats('x')}
    if (tid == 0u) { result[row * 2u] = mu; result[row * 2u + 1u] = rstd; }
  }`,
    },
  };
}

function gradX([dy]: number[][]): { program: Program } {
  const [N, C] = dy as [number, number];
  return {
    program: {
      variableNames: ['dy', 'x', 'gain', 'stats'],
      outputShape: [N, C],
      shaderKey: 'kdLayerNormGradX',
      ...perRow(N, WG),
      getUserCode: () => `${header}
    let C = u32(uniforms.dyShape[1]);
    let mu = stats[row * 2u];
    let rstd = stats[row * 2u + 1u];
    var sg = 0.0;
    var sgx = 0.0;
    for (var c = tid; c < C; c = c + ${WG}u) {
      let g = dy[row * C + c] * gain[c];
      sg = sg + g;
      sgx = sgx + g * (x[row * C + c] - mu) * rstd;
    }
    buf[tid] = sg;
    buf2[tid] = sgx;
    workgroupBarrier();
    for (var w = ${WG / 2}u; w > 0u; w = w >> 1u) {
      if (tid < w) { buf[tid] = buf[tid] + buf[tid + w]; buf2[tid] = buf2[tid] + buf2[tid + w]; }
      workgroupBarrier();
    }
    let meanG = buf[0] / f32(C);
    let meanGx = buf2[0] / f32(C);
    for (var c = tid; c < C; c = c + ${WG}u) {
      let xhat = (x[row * C + c] - mu) * rstd;
      result[row * C + c] = rstd * (dy[row * C + c] * gain[c] - meanG - xhat * meanGx);
    }
  }`,
    },
  };
}

/** One thread per column, summing over the rows (N is B·T: thousands at most here). */
function gradGain([dy]: number[][]): { program: Program } {
  const [, C] = dy as [number, number];
  return {
    program: {
      variableNames: ['dy', 'x', 'stats'],
      outputShape: [C],
      shaderKey: 'kdLayerNormGradGain',
      ...perItem(C),
      getUserCode: () => `
  fn main(index : i32) {
    let C = uniforms.dyShape[1];
    let N = uniforms.dyShape[0];
    if (index >= C) { return; }
    var s = 0.0;
    for (var n = 0; n < N; n = n + 1) {
      s = s + dy[n * C + index] * (x[n * C + index] - stats[n * 2]) * stats[n * 2 + 1];
    }
    result[index] = s;
  }`,
    },
  };
}

export function registerLayerNorm(): void {
  const eps = (attrs: Record<string, number>) => [{ type: 'float32' as const, data: [attrs.eps!] }];
  registerProgram(FUSED.layerNorm, ['x', 'gain', 'bias'], (s, a) => ({ ...forward(s), uniforms: eps(a) }));
  registerProgram(FUSED.layerNormStats, ['x'], (s, a) => ({ ...stats(s), uniforms: eps(a) }));
  registerProgram(FUSED.layerNormGradX, ['dy', 'x', 'gain', 'stats'], (s) => gradX(s));
  registerProgram(FUSED.layerNormGradGain, ['dy', 'x', 'stats'], (s) => gradGain(s));
}
