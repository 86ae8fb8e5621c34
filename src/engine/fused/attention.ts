/**
 * Causal self-attention for training and evaluation as WebGPU programs, on q, k, v laid out as
 * the projection writes them ([B·T, C], heads side by side: no transposes). With S = q·kᵀ/√hd
 * (s ≤ t only), P = softmax(S), y = P·v:
 *   forward     one program: a workgroup per (b, h, t) scores its row, softmaxes it, sums the values;
 *   backward    four: per row lse_t = log Σ_s exp S_ts and D_t = dy_t·y_t (flash-attention's
 *               trick: Σ_s P_ts dP_ts = D_t), then
 *               dq_t = scale Σ_s dS_ts k_s,  dk_s = scale Σ_t dS_ts q_t,  dv_s = Σ_t P_ts dy_t,
 *               with dS_ts = P_ts (dy_t·v_s − D_t), P recomputed from lse (never stored).
 * q, k and v are read with a row stride W and column offsets, so they may be three tensors
 * [B·T, C] (W = C) or the fused projection [B·T, 3C] itself (W = 3C, offsets 0, C, 2C: no split);
 * a gradient may be written into the matching columns of one [B·T, 3C] tensor (the three grad
 * programs fill it in turn, the second and third in place: no concat).
 * The reference graph takes ~9 dispatches forward and ~20 backward per layer.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FUSED } from '../../model/fused';
import {
  type Program,
  declareUniforms,
  perRow,
  reduceRowWgsl,
  registerKernelFunc,
  rowMain,
  rowThreads,
} from './program';

const UNIFORMS = declareUniforms({
  T: 'i32', H: 'i32', scale: 'f32', C: 'i32', W: 'i32',
  qOff: 'i32', kOff: 'i32', vOff: 'i32', oStride: 'i32', oOff: 'i32',
});

type Attrs = Record<'T' | 'H' | 'scale' | 'C' | 'W' | 'qOff' | 'kOff' | 'vOff', number> & { packed?: number };

/**
 * WGSL: the row (b, h, i) of this workgroup's `row` (from rowMain) and what the programs index
 * with: T, H, C, hd; `at`, (b, position 0, head h) of the [B·T, C] tensors (y, dy), and `qkvAt`,
 * the same of q, k, v (row stride W: qkvIndex adds a position and their column offset).
 */
const ROW = `
    let T = u32(uniforms.T);
    let H = u32(uniforms.H);
    let C = u32(uniforms.C);
    let hd = C / H;
    let b = row / (H * T);
    let h = (row / T) % H;
    let i = row % T;
    let at = b * T * C + h * hd;
    let qkvAt = b * T * u32(uniforms.W) + h * hd;`;

/** WGSL: the index of q, k or v (column offset `off`) at position `pos` of the (b, h) whose position 0 is `base`. */
const QKV_INDEX = `
  fn qkvIndex(base : u32, pos : u32, off : i32) -> u32 { return base + pos * u32(uniforms.W) + u32(off); }`;

/** WGSL: `dot_<a>_<b>(x, y, n)`, Σ_d a[x + d]·b[y + d] over n values of inputs `a` and `b`. */
const dotWgsl = (a: string, b: string) => `
  fn dot_${a}_${b}(x : u32, y : u32, n : u32) -> f32 {
    var s = 0.0;
    for (var d = 0u; d < n; d = d + 1u) { s = s + ${a}[x + d] * ${b}[y + d]; }
    return s;
  }`;

/**
 * WGSL: `rowScores(i, qkvAt, hd, tid)`, query row i's scores q_i·k_s·scale (s ≤ i) into the
 * workgroup memory p, and their max (needs reduceRow, qkvIndex, dot_q_k; uniform control flow).
 */
const rowScoresWgsl = (WG: number) => `
  fn rowScores(i : u32, qkvAt : u32, hd : u32, tid : u32) -> f32 {
    var m = -3.4e38;
    for (var s = tid; s <= i; s = s + ${WG}u) {
      let sc = dot_q_k(qkvIndex(qkvAt, i, uniforms.qOff), qkvIndex(qkvAt, s, uniforms.kOff), hd) * uniforms.scale;
      p[s] = sc;
      m = max(m, sc);
    }
    return reduceRow(m, tid, true);
  }`;

/**
 * A workgroup per query or key row (b, h, i) of q [B·T, ·], its loops over positions and a head's
 * width: the scores of a row sit in workgroup memory p of T; `dots` names the dot products used.
 */
function program(
  name: string,
  vars: string[],
  outputShape: number[],
  a: Attrs,
  BT: number,
  dots: [string, string][],
  body: (WG: number) => string,
): Program {
  const WG = rowThreads(Math.max(a.T, a.C / a.H), 64);
  return {
    variableNames: vars,
    outputShape,
    shaderKey: `${name}_${a.T}`,
    uniforms: UNIFORMS.wgsl,
    ...perRow(BT * a.H, WG),
    getUserCode: () => `
  var<workgroup> p : array<f32, ${a.T}>;
  ${reduceRowWgsl(WG)}
  ${QKV_INDEX}
  ${dots.map(([x, y]) => dotWgsl(x, y)).join('')}
  ${rowScoresWgsl(WG)}
  ${rowMain('u32(uniforms.qShape[0]) * u32(uniforms.H)', `${ROW}
    ${vars.map((x) => `_ = &${x};`).join(' ')} // tfjs binds every input: one the shader never reads fails validation
${body(WG)}`)}`,
  };
}

function forward(BT: number, a: Attrs): Program {
  return program('kdAttention', ['q', 'k', 'v'], [BT, a.C], a, BT, [['q', 'k']], (WG) => `
    let M = rowScores(i, qkvAt, hd, tid);
    var z = 0.0;
    for (var s = tid; s <= i; s = s + ${WG}u) { let e = exp(p[s] - M); p[s] = e; z = z + e; }
    let Z = reduceRow(z, tid, false);
    for (var d = tid; d < hd; d = d + ${WG}u) {
      var acc = 0.0;
      for (var s = 0u; s <= i; s = s + 1u) { acc = acc + p[s] * v[qkvIndex(qkvAt, s, uniforms.vOff) + d]; }
      result[at + i * C + d] = acc / Z;
    }`);
}

/** [B·H·T, 2]: lse of every query row, and D = dy·y. */
function stats(BT: number, a: Attrs): Program {
  return program('kdAttentionStats', ['q', 'k', 'y', 'dy'], [BT * a.H, 2], a, BT, [['q', 'k']], (WG) => `
    let M = rowScores(i, qkvAt, hd, tid);
    var z = 0.0;
    for (var s = tid; s <= i; s = s + ${WG}u) { z = z + exp(p[s] - M); }
    let Z = reduceRow(z, tid, false);
    var dd = 0.0;
    for (var d = tid; d < hd; d = d + ${WG}u) { dd = dd + dy[at + i * C + d] * y[at + i * C + d]; }
    let D = reduceRow(dd, tid, false);
    if (tid == 0u) { result[row * 2u] = M + log(Z); result[row * 2u + 1u] = D; }`);
}

/**
 * dq (query rows: s ≤ i), or dk / dv (key rows: t ≥ i). `which` picks the output; the loop runs
 * over the other index j, with (t, s) = (i, j) for dq and (j, i) for dk, dv.
 */
function grad(which: 'dq' | 'dk' | 'dv', outShape: number[], a: Attrs): Program {
  const BT = outShape[0]!;
  const query = which === 'dq';
  const [lo, hi] = query ? ['0u', 'i + 1u'] : ['i', 'T'];
  const t = query ? 'i' : 'j';
  const s = query ? 'j' : 'i';
  const dP = 'dot_dy_v(at + t * C, qkvIndex(qkvAt, s, uniforms.vOff), hd)';
  const weight = which === 'dv' ? 'P' : `P * (${dP} - stats[st * 2u + 1u])`;
  const sum = which === 'dq' ? `k[qkvIndex(qkvAt, j, uniforms.kOff) + d]` : which === 'dk' ? `q[qkvIndex(qkvAt, j, uniforms.qOff) + d]` : `dy[at + j * C + d]`;
  const factor = which === 'dv' ? '1.0' : 'uniforms.scale';
  const vars = ['q', 'k', 'v', 'dy', 'stats'];
  return program(`kdAttentionGrad_${which}`, vars, outShape, a, BT, [['q', 'k'], ['dy', 'v']], (WG) => `
    for (var j = ${lo} + tid; j < ${hi}; j = j + ${WG}u) {
      let t = ${t};
      let s = ${s};
      let st = (b * H + h) * T + t;
      let S = dot_q_k(qkvIndex(qkvAt, t, uniforms.qOff), qkvIndex(qkvAt, s, uniforms.kOff), hd) * uniforms.scale;
      let P = exp(S - stats[st * 2u]);
      p[j] = ${weight};
    }
    workgroupBarrier();
    for (var d = tid; d < hd; d = d + ${WG}u) {
      var acc = 0.0;
      for (var j = ${lo}; j < ${hi}; j = j + 1u) { acc = acc + p[j] * ${sum}; }
      result[(b * T + i) * u32(uniforms.oStride) + u32(uniforms.oOff) + h * hd + d] = ${factor} * acc;
    }`);
}

export function registerAttention(): void {
  const uniforms = (a: Attrs, oStride = a.C, oOff = 0) => UNIFORMS.values({ ...a, oStride, oOff });
  const get = (inputs: tf.NamedTensorInfoMap, names: string[]) =>
    names.map((n) => {
      const t = inputs[n];
      if (!t) throw new Error(`missing input ${n}`);
      return t;
    });
  registerKernelFunc(FUSED.attention, ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const ins = get(inputs, ['q', 'k', 'v']);
    return backend.runWebGPUProgram(forward(ins[0]!.shape[0]!, a), ins, 'float32', uniforms(a));
  });
  registerKernelFunc(FUSED.attentionStats, ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const ins = get(inputs, ['q', 'k', 'y', 'dy']);
    return backend.runWebGPUProgram(stats(ins[2]!.shape[0]!, a), ins, 'float32', uniforms(a));
  });
  for (const w of ['dq', 'dk', 'dv'] as const) {
    const name = w === 'dq' ? FUSED.attentionGradQ : w === 'dk' ? FUSED.attentionGradK : FUSED.attentionGradV;
    const col = w === 'dq' ? 0 : w === 'dk' ? 1 : 2;
    registerKernelFunc(name, ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as Attrs;
      const ins = get(inputs, ['q', 'k', 'v', 'dy', 'stats']);
      const BT = ins[3]!.shape[0]!;
      if (!a.packed) return backend.runWebGPUProgram(grad(w, [BT, a.C], a), ins, 'float32', uniforms(a));
      // Into columns col·C … of one [B·T, 3C] gradient: a new one for dq, in place in `into` for dk, dv.
      const into = inputs.into;
      const output = into ? { dataId: into.dataId, shape: into.shape, dtype: 'float32' as const } : undefined;
      if (into) backend.incRef(into.dataId);
      const program = grad(w, [BT, 3 * a.C], a);
      return backend.runWebGPUProgram(program, ins, 'float32', uniforms(a, 3 * a.C, col * a.C), output);
    });
  }
}
