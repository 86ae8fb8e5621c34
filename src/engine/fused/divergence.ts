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
import { type Program, declareUniforms, perRow, registerProgram, reduceRowWgsl, rowMain, rowThreads } from './program';

/** Threads per row: up to 128 (rows are the vocabulary: 50,257 in GPT-2). */
const threads = (V: number) => rowThreads(V, 128);

const UNIFORMS = declareUniforms({ temperature: 'f32', w: 'f32' });

/** The divergence whose program number is `code` (its place in DIVERGENCES). */
export function divergenceRow(code: number): DivergenceRow {
  const kind = DIVERGENCES[code];
  if (kind === undefined) throw new Error(`fused divergence: unknown program ${code}`);
  return DIVERGENCE_TABLE[kind];
}

/**
 * WGSL: `lse_<x>(base, V, scale, tid)`, log Σ_j exp(x[base + j] / scale) over the V values of a row
 * of input `x` (needs reduceRow; call from uniform control flow).
 */
const lseWgsl = (x: string, WG: number) => `
  fn lse_${x}(base : u32, V : u32, scale : f32, tid : u32) -> f32 {
    var m = -3.4e38;
    for (var j = tid; j < V; j = j + ${WG}u) { m = max(m, ${x}[base + j] / scale); }
    let top = reduceRow(m, tid, true);
    var e = 0.0;
    for (var j = tid; j < V; j = j + ${WG}u) { e = e + exp(${x}[base + j] / scale - top); }
    return top + log(reduceRow(e, tid, false));
  }`;

/** A workgroup per row of logits [N, V] (input `x`); V, base (the row's start) and `scale` are defined before `body`. */
function rowCode(x: string, WG: number, decls: string, scale: string, body: string): string {
  return `${reduceRowWgsl(WG)}
  ${decls}
  ${rowMain(`u32(uniforms.${x}Shape[0])`, `
    let V = u32(uniforms.${x}Shape[1]);
    let base = row * V;
    let scale = ${scale};
${body}`)}`;
}

function divergence(shapes: number[][], kind: number, grad: boolean): Program {
  const [N, V] = shapes[0] as [number, number];
  const WG = threads(V);
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
    uniforms: UNIFORMS.wgsl,
    ...perRow(N, WG),
    getUserCode: () =>
      rowCode('tl', WG, `${DIVERGENCE_WGSL}\n  ${lseWgsl('tl', WG)}\n  ${lseWgsl('sl', WG)}`, 'uniforms.temperature', `
    let lseT = lse_tl(base, V, scale, tid);
    let lseS = lse_sl(base, V, scale, tid);
${body}`),
  };
}

function tokenNll(shapes: number[][], grad: boolean): Program {
  const [N, V] = shapes[0] as [number, number];
  const WG = threads(V);
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
    getUserCode: () => rowCode('x', WG, lseWgsl('x', WG), '1.0', `
    let lseX = lse_x(base, V, scale, tid);
    ${body}`),
  };
}

export function registerDivergence(): void {
  const uniforms = (a: Record<string, number>) => UNIFORMS.values({ temperature: a.temperature!, w: a.w! });
  registerProgram(FUSED.divergence, ['tl', 'sl'], (s, a) => ({ program: divergence(s, a.kind!, false), uniforms: uniforms(a) }));
  registerProgram(FUSED.divergenceGrad, ['tl', 'sl', 'dy'], (s, a) => ({ program: divergence(s, a.kind!, true), uniforms: uniforms(a) }));
  registerProgram(FUSED.tokenNll, ['x', 'y'], (s) => ({ program: tokenNll(s, false) }));
  registerProgram(FUSED.tokenNllGrad, ['x', 'y', 'dy'], (s) => ({ program: tokenNll(s, true) }));
}
