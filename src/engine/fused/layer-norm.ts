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
import {
  type Program,
  declareUniforms,
  perItem,
  perRow,
  reduceRowWgsl,
  registerProgram,
  rowMain,
  rowThreads,
} from './program';

/** Threads per row: up to 64 (rows are C wide: 128 here, 768 in GPT-2). */
const threads = (C: number) => rowThreads(C, 64);

const EPS = declareUniforms({ eps: 'f32' });

/**
 * WGSL: reduceRow, and `meanRstd(row, C, eps, tid)`: the mean and 1/√(var + ε) of row `row` of
 * input x [N, C] (every thread gets them; call from uniform control flow).
 */
const meanRstdWgsl = (WG: number) => `
  ${reduceRowWgsl(WG)}
  fn meanRstd(row : u32, C : u32, eps : f32, tid : u32) -> vec2<f32> {
    var s = 0.0;
    for (var c = tid; c < C; c = c + ${WG}u) { s = s + x[row * C + c]; }
    let mu = reduceRow(s, tid, false) / f32(C);
    var q = 0.0;
    for (var c = tid; c < C; c = c + ${WG}u) { let d = x[row * C + c] - mu; q = q + d * d; }
    return vec2<f32>(mu, inverseSqrt(reduceRow(q, tid, false) / f32(C) + eps));
  }`;

/** A workgroup per row of the first input [N, C]: C, row and tid are defined before `body`. */
function rowProgram(
  shapes: number[][],
  vars: string[],
  outputShape: number[],
  shaderKey: string,
  code: (WG: number) => { decls: string; body: string },
  uniforms?: string,
): Program {
  const [N, C] = shapes[0] as [number, number];
  const WG = threads(C);
  const { decls, body } = code(WG);
  const first = vars[0]!;
  return {
    variableNames: vars,
    outputShape,
    shaderKey,
    uniforms,
    ...perRow(N, WG),
    getUserCode: () => `${decls}
  ${rowMain(`u32(uniforms.${first}Shape[0])`, `    let C = u32(uniforms.${first}Shape[1]);
${body}`)}`,
  };
}

function forward(shapes: number[][]): Program {
  const [N, C] = shapes[0] as [number, number];
  return rowProgram(shapes, ['x', 'gain', 'bias'], [N, C], 'kdLayerNorm', (WG) => ({
    decls: meanRstdWgsl(WG),
    body: `
    let s = meanRstd(row, C, uniforms.eps, tid);
    for (var c = tid; c < C; c = c + ${WG}u) {
      result[row * C + c] = (x[row * C + c] - s.x) * s.y * gain[c] + bias[c];
    }`,
  }), EPS.wgsl);
}

function stats(shapes: number[][]): Program {
  const [N] = shapes[0] as [number, number];
  return rowProgram(shapes, ['x'], [N, 2], 'kdLayerNormStats', (WG) => ({
    decls: meanRstdWgsl(WG),
    body: `
    let s = meanRstd(row, C, uniforms.eps, tid);
    if (tid == 0u) { result[row * 2u] = s.x; result[row * 2u + 1u] = s.y; }`,
  }), EPS.wgsl);
}

function gradX(shapes: number[][]): Program {
  const [N, C] = shapes[0] as [number, number];
  return rowProgram(shapes, ['dy', 'x', 'gain', 'stats'], [N, C], 'kdLayerNormGradX', (WG) => ({
    decls: reduceRowWgsl(WG),
    body: `
    let mu = stats[row * 2u];
    let rstd = stats[row * 2u + 1u];
    var sg = 0.0;
    var sgx = 0.0;
    for (var c = tid; c < C; c = c + ${WG}u) {
      let g = dy[row * C + c] * gain[c];
      sg = sg + g;
      sgx = sgx + g * (x[row * C + c] - mu) * rstd;
    }
    let meanG = reduceRow(sg, tid, false) / f32(C);
    let meanGx = reduceRow(sgx, tid, false) / f32(C);
    for (var c = tid; c < C; c = c + ${WG}u) {
      let xhat = (x[row * C + c] - mu) * rstd;
      result[row * C + c] = rstd * (dy[row * C + c] * gain[c] - meanG - xhat * meanGx);
    }`,
  }));
}

/** One thread per column, summing over the rows (N is B·T: thousands at most here). */
function gradGain([dy]: number[][]): Program {
  const [, C] = dy as [number, number];
  return {
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
  };
}

export function registerLayerNorm(): void {
  const eps = (a: Record<string, number>) => EPS.values({ eps: a.eps! });
  registerProgram(FUSED.layerNorm, ['x', 'gain', 'bias'], (s, a) => ({ program: forward(s), uniforms: eps(a) }));
  registerProgram(FUSED.layerNormStats, ['x'], (s, a) => ({ program: stats(s), uniforms: eps(a) }));
  registerProgram(FUSED.layerNormGradX, ['dy', 'x', 'gain', 'stats'], (s) => ({ program: gradX(s) }));
  registerProgram(FUSED.layerNormGradGain, ['dy', 'x', 'stats'], (s) => ({ program: gradGain(s) }));
}
