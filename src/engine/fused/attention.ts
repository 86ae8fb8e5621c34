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
import { MAX_WORKGROUPS, type Program, type Uniform, registerKernelFunc, reduceRowWgsl } from './program';

const WG = 64;

/** A workgroup per row, `rows` of them, spread over y past 65,535. */
function perRows(rows: number): Pick<Program, 'dispatchLayout' | 'dispatch' | 'workgroupSize'> {
  const x = Math.min(rows, MAX_WORKGROUPS);
  return { dispatchLayout: { x: [0] }, dispatch: [x, Math.ceil(rows / x), 1], workgroupSize: [WG, 1, 1] };
}

/**
 * Common indices: the row (b, h, i) of this workgroup; T, H, hd, C; `at` (b, position 0, head h) of
 * the [B·T, C] tensors (y, dy), and `qkvAt`, the same of q, k, v (row stride W; qkvIndex adds a
 * position and their column offset).
 */
const ROW = `
    let tid = localId.x;
    let T = u32(uniforms.T);
    let H = u32(uniforms.H);
    let C = u32(uniforms.C);
    let hd = C / H;
    // Spare workgroups (rows spread over y) redo the last row, writing the same values: an early
    // return would make the barriers below non-uniform.
    let row = min(workgroupId.y * numWorkgroups.x + workgroupId.x, u32(uniforms.qShape[0]) * H - 1u);
    let b = row / (H * T);
    let h = (row / T) % H;
    let i = row % T;
    let at = b * T * C + h * hd; // (b, position 0, head h)
    let qkvAt = b * T * u32(uniforms.W) + h * hd;`;

/** Index of q, k or v (column offset `off`) at a position of this workgroup's (b, h). */
const QKV_AT = `
  fn qkvIndex(base : u32, pos : u32, off : i32) -> u32 { return base + pos * u32(uniforms.W) + u32(off); }`;

const HELPERS = `
  ${reduceRowWgsl(WG)}
  ${QKV_AT}
  fn dotRows(x : u32, y : u32, hd : u32, which : u32) -> f32 {
    var s = 0.0;
    for (var d = 0u; d < hd; d = d + 1u) { s = s + load(which, x + d) * load(which + 1u, y + d); }
    return s;
  }`;

/** Row i's scores q_i·k_s·scale (s ≤ i) into p, and their max M. */
const ROW_SCORES = `
    var m = -3.4e38;
    for (var s = tid; s <= i; s = s + ${WG}u) {
      let sc = dotRows(qkvIndex(qkvAt, i, uniforms.qOff), qkvIndex(qkvAt, s, uniforms.kOff), hd, 0u) * uniforms.scale;
      p[s] = sc;
      m = max(m, sc);
    }
    let M = reduceRow(m, tid, true);`;

const UNIFORMS = 'T : i32, H : i32, scale : f32, C : i32, W : i32, qOff : i32, kOff : i32, vOff : i32, oStride : i32, oOff : i32,';

function program(name: string, vars: string[], outputShape: number[], T: number, rows: number, body: string, loads: string): Program {
  return {
    variableNames: vars,
    outputShape,
    shaderKey: `${name}_${T}`,
    uniforms: UNIFORMS,
    ...perRows(rows),
    getUserCode: () => `
  var<workgroup> p : array<f32, ${T}>;
  ${loads}
  ${HELPERS}
  fn main(index : i32) {${ROW}
${body}
  }`,
  };
}

/** q·k for query row t and key row s (both [B·T, C] offsets of the head). */
const LOAD_QK = `fn load(which : u32, at : u32) -> f32 { if (which == 0u) { return q[at]; } return k[at]; }`;

function forward(BT: number, C: number, T: number, H: number): Program {
  return program('kdAttention', ['q', 'k', 'v'], [BT, C], T, BT * H, `
${ROW_SCORES}
    var z = 0.0;
    for (var s = tid; s <= i; s = s + ${WG}u) { let e = exp(p[s] - M); p[s] = e; z = z + e; }
    let Z = reduceRow(z, tid, false);
    for (var d = tid; d < hd; d = d + ${WG}u) {
      var acc = 0.0;
      for (var s = 0u; s <= i; s = s + 1u) { acc = acc + p[s] * v[qkvIndex(qkvAt, s, uniforms.vOff) + d]; }
      result[at + i * C + d] = acc / Z;
    }`, LOAD_QK);
}

/** [B·H·T, 2]: lse of every query row, and D = dy·y. */
function stats(BT: number, T: number, H: number): Program {
  return program('kdAttentionStats', ['q', 'k', 'y', 'dy'], [BT * H, 2], T, BT * H, `
${ROW_SCORES}
    var z = 0.0;
    for (var s = tid; s <= i; s = s + ${WG}u) { z = z + exp(p[s] - M); }
    let Z = reduceRow(z, tid, false);
    var dd = 0.0;
    for (var d = tid; d < hd; d = d + ${WG}u) { dd = dd + dy[at + i * C + d] * y[at + i * C + d]; }
    let D = reduceRow(dd, tid, false);
    if (tid == 0u) { result[row * 2u] = M + log(Z); result[row * 2u + 1u] = D; }`, LOAD_QK);
}

/**
 * dq (query rows: s ≤ i), or dk / dv (key rows: t ≥ i). `which` picks the output; the loop runs
 * over the other index j, with (t, s) = (i, j) for dq and (j, i) for dk, dv.
 */
function grad(which: 'dq' | 'dk' | 'dv', outShape: number[], T: number, H: number): Program {
  const BT = outShape[0]!;
  const query = which === 'dq';
  const [lo, hi] = query ? ['0u', 'i + 1u'] : ['i', 'T'];
  const t = query ? 'i' : 'j';
  const s = query ? 'j' : 'i';
  const weight = which === 'dv' ? 'P' : 'P * (dotRows(at + t * C, qkvIndex(qkvAt, s, uniforms.vOff), hd, 2u) - stats[st * 2u + 1u])';
  const sum = which === 'dq' ? `k[qkvIndex(qkvAt, j, uniforms.kOff) + d]` : which === 'dk' ? `q[qkvIndex(qkvAt, j, uniforms.qOff) + d]` : `dy[at + j * C + d]`;
  const factor = which === 'dv' ? '1.0' : 'uniforms.scale';
  return program(`kdAttentionGrad_${which}`, ['q', 'k', 'v', 'dy', 'stats'], outShape, T, BT * H, `
    for (var j = ${lo} + tid; j < ${hi}; j = j + ${WG}u) {
      let t = ${t};
      let s = ${s};
      let st = (b * H + h) * T + t;
      let P = exp(dotRows(qkvIndex(qkvAt, t, uniforms.qOff), qkvIndex(qkvAt, s, uniforms.kOff), hd, 0u) * uniforms.scale - stats[st * 2u]);
      p[j] = ${weight};
    }
    workgroupBarrier();
    for (var d = tid; d < hd; d = d + ${WG}u) {
      var acc = 0.0;
      for (var j = ${lo}; j < ${hi}; j = j + 1u) { acc = acc + p[j] * ${sum}; }
      result[(b * T + i) * u32(uniforms.oStride) + u32(uniforms.oOff) + h * hd + d] = ${factor} * acc;
    }`, `fn load(which : u32, at : u32) -> f32 { if (which == 0u) { return q[at]; } if (which == 1u) { return k[at]; } if (which == 2u) { return dy[at]; } return v[at]; }`);
}

type Attrs = Record<'T' | 'H' | 'scale' | 'C' | 'W' | 'qOff' | 'kOff' | 'vOff', number> & { packed?: number };

export function registerAttention(): void {
  const uniforms = (a: Attrs, oStride = a.C, oOff = 0): Uniform[] => [
    { type: 'int32', data: [a.T] },
    { type: 'int32', data: [a.H] },
    { type: 'float32', data: [a.scale] },
    ...[a.C, a.W, a.qOff, a.kOff, a.vOff, oStride, oOff].map((x) => ({ type: 'int32' as const, data: [x] })),
  ];
  const get = (inputs: tf.NamedTensorInfoMap, names: string[]) =>
    names.map((n) => {
      const t = inputs[n];
      if (!t) throw new Error(`fused attention: missing input ${n}`);
      return t;
    });
  registerKernelFunc(FUSED.attention, ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const ins = get(inputs, ['q', 'k', 'v']);
    return backend.runWebGPUProgram(forward(ins[0]!.shape[0]!, a.C, a.T, a.H), ins, 'float32', uniforms(a));
  });
  registerKernelFunc(FUSED.attentionStats, ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const ins = get(inputs, ['q', 'k', 'y', 'dy']);
    return backend.runWebGPUProgram(stats(ins[2]!.shape[0]!, a.T, a.H), ins, 'float32', uniforms(a));
  });
  for (const w of ['dq', 'dk', 'dv'] as const) {
    const name = w === 'dq' ? FUSED.attentionGradQ : w === 'dk' ? FUSED.attentionGradK : FUSED.attentionGradV;
    const col = w === 'dq' ? 0 : w === 'dk' ? 1 : 2;
    registerKernelFunc(name, ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as Attrs;
      const ins = get(inputs, ['q', 'k', 'v', 'dy', 'stats']);
      const BT = ins[3]!.shape[0]!;
      if (!a.packed) return backend.runWebGPUProgram(grad(w, [BT, a.C], a.T, a.H), ins, 'float32', uniforms(a));
      // Into columns col·C … of one [B·T, 3C] gradient: a new one for dq, in place in `into` for dk, dv.
      const into = inputs.into;
      const output = into ? { dataId: into.dataId, shape: into.shape, dtype: 'float32' as const } : undefined;
      if (into) backend.incRef(into.dataId);
      return backend.runWebGPUProgram(grad(w, [BT, 3 * a.C], a.T, a.H), ins, 'float32', uniforms(a, 3 * a.C, col * a.C), output);
    });
  }
}
