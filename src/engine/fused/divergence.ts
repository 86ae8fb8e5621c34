/**
 * Divergences and the token NLL over rows of logits [N, V], a workgroup per row, forward and
 * gradient, where the reference graph runs two log-softmaxes and a handful of elementwise ops and
 * reductions each way. Each divergence's WGSL is its row of src/model/divergences.ts; the program
 * number is its place there. With z = ls/T, lS = log softmax z, pS = exp lS (lT, pT the teacher's):
 *   fkl  D = Σ pT (lT − lS)                  ∂D/∂z_j = pS_j − pT_j
 *   rkl  D = Σ pS (lS − lT)                  ∂D/∂z_j = pS_j (lS_j − lT_j − D)
 *   gjsd D = β KL(T‖M) + (1−β) KL(S‖M)       ∂D/∂z_j = pS_j (g_j − Σ pS g),  g = (1−β)(lS − lM)  (jsd: β = ½)
 *   skl  D = KL(T‖M), M = α pT + (1−α) pS    g = −(1−α) pT / M
 *   tvd  D = ½ Σ |pT − pS|                   g = −½ sign(pT − pS)
 * with M = w·pT + (1−w)·pS (w = β or α), and ∂/∂ls = ∂/∂z / T. The teacher side is a constant
 * (it is frozen wherever these run). Token NLL: −log softmax(x)[y], gradient softmax(x) − onehot(y).
 */
import { DIVERGENCES, DIVERGENCE_TABLE, DIVERGENCE_WGSL, type DivergenceRow } from '../../model/divergences';
import { FUSED } from '../../model/fused';
import { type Program, perRow, registerProgram, reduceRowWgsl } from './program';

const WG = 128;

/** The divergence whose program number is `code` (its place in DIVERGENCES). */
export function divergenceRow(code: number): DivergenceRow {
  const kind = DIVERGENCES[code];
  if (kind === undefined) throw new Error(`fused divergence: unknown program ${code}`);
  return DIVERGENCE_TABLE[kind];
}

const REDUCE = `
  ${reduceRowWgsl(WG)}`;

/** Row log-sum-exps of x/scale for row `row`: (max, lse); `x` is an input name. */
const lse = (x: string, name: string) => `
    var m${name} = -3.4e38;
    for (var j = tid; j < V; j = j + ${WG}u) { m${name} = max(m${name}, ${x}[base + j] / scale); }
    let max${name} = reduceRow(m${name}, tid, true);
    var e${name} = 0.0;
    for (var j = tid; j < V; j = j + ${WG}u) { e${name} = e${name} + exp(${x}[base + j] / scale - max${name}); }
    let lse${name} = max${name} + log(reduceRow(e${name}, tid, false));`;

const HEAD = (x: string) => `
  fn main(index : i32) {
    let tid = localId.x;
    let row = workgroupId.x;
    let V = u32(uniforms.${x}Shape[1]);
    let base = row * V;`;

function divergence(shapes: number[][], kind: number, grad: boolean): Program {
  const [N, V] = shapes[0] as [number, number];
  const { wgsl } = divergenceRow(kind);
  const body = grad
    ? `
    var acc = 0.0;
    for (var j = tid; j < V; j = j + ${WG}u) {
      let lT = tl[base + j] / scale - lseT;
      let lS = sl[base + j] / scale - lseS;
      acc = acc + ${wgsl.gradSum};
    }
    let sum = reduceRow(acc, tid, false); // rkl: D; mixtures, tvd: Σ pS g
    for (var j = tid; j < V; j = j + ${WG}u) {
      let lT = tl[base + j] / scale - lseT;
      let lS = sl[base + j] / scale - lseS;
      let pS = exp(lS);
      let dz = ${wgsl.dz};
      result[base + j] = dy[row] * dz / scale;
    }`
    : `
    var acc = 0.0;
    for (var j = tid; j < V; j = j + ${WG}u) {
      let lT = tl[base + j] / scale - lseT;
      let lS = sl[base + j] / scale - lseS;
      acc = acc + ${wgsl.term};
    }
    let d = reduceRow(acc, tid, false);
    if (tid == 0u) { result[row] = d; }`;
  return {
    variableNames: grad ? ['tl', 'sl', 'dy'] : ['tl', 'sl'],
    outputShape: grad ? [N, V] : [N],
    shaderKey: `kdDivergence${grad ? 'Grad' : ''}_${kind}`,
    uniforms: 'temperature : f32, w : f32,',
    ...perRow(N, WG),
    getUserCode: () => `${REDUCE}
  ${DIVERGENCE_WGSL}
  ${HEAD('tl')}
    let scale = uniforms.temperature;
    ${lse('tl', 'T')}
    ${lse('sl', 'S')}
    ${body}
  }`,
  };
}

function tokenNll(shapes: number[][], grad: boolean): Program {
  const [N, V] = shapes[0] as [number, number];
  const body = grad
    ? `for (var j = tid; j < V; j = j + ${WG}u) {
      let p = exp(x[base + j] - lseX);
      result[base + j] = dy[row] * (p - select(0.0, 1.0, i32(j) == y[row]));
    }`
    : `if (tid == 0u) { result[row] = lseX - x[base + u32(y[row])]; }`;
  return {
    variableNames: grad ? ['x', 'y', 'dy'] : ['x', 'y'],
    outputShape: grad ? [N, V] : [N],
    shaderKey: `kdTokenNll${grad ? 'Grad' : ''}`,
    ...perRow(N, WG),
    getUserCode: () => `${REDUCE}
  ${HEAD('x')}
    let scale = 1.0;
    ${lse('x', 'X')}
    ${body}
  }`,
  };
}

export function registerDivergence(): void {
  const uniforms = (a: Record<string, number>) => [a.temperature!, a.w!].map((x) => ({ type: 'float32' as const, data: [x] }));
  registerProgram(FUSED.divergence, ['tl', 'sl'], (s, a) => ({ program: divergence(s, a.kind!, false), uniforms: uniforms(a) }));
  registerProgram(FUSED.divergenceGrad, ['tl', 'sl', 'dy'], (s, a) => ({ program: divergence(s, a.kind!, true), uniforms: uniforms(a) }));
  registerProgram(FUSED.tokenNll, ['x', 'y'], (s) => ({ program: tokenNll(s, false) }));
  registerProgram(FUSED.tokenNllGrad, ['x', 'y', 'dy'], (s) => ({ program: tokenNll(s, true) }));
}
