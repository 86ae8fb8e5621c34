/**
 * Causal self-attention for training and evaluation as WebGPU programs, on q, k, v laid out as
 * the projection writes them ([B·T, C], heads side by side: no transposes). With S = q·kᵀ/√hd
 * (s ≤ t only), P = softmax(S), y = P·v:
 *   forward     one program: a workgroup per (b, h, t) scores its row, softmaxes it, sums the values;
 *   backward    four: per row lse_t = log Σ_s exp S_ts and D_t = dy_t·y_t (flash-attention's
 *               trick: Σ_s P_ts dP_ts = D_t), then
 *               dq_t = scale Σ_s dS_ts k_s,  dk_s = scale Σ_t dS_ts q_t,  dv_s = Σ_t P_ts dy_t,
 *               with dS_ts = P_ts (dy_t·v_s − D_t), P recomputed from lse (never stored).
 * The reference graph takes ~9 dispatches forward and ~20 backward per layer.
 */
import { FUSED } from '../../model/fused';
import { MAX_WORKGROUPS, type Program, registerProgram, reduceRowWgsl } from './program';

const WG = 64;

/** A workgroup per row, `rows` of them, spread over y past 65,535. */
function perRows(rows: number): Pick<Program, 'dispatchLayout' | 'dispatch' | 'workgroupSize'> {
  const x = Math.min(rows, MAX_WORKGROUPS);
  return { dispatchLayout: { x: [0] }, dispatch: [x, Math.ceil(rows / x), 1], workgroupSize: [WG, 1, 1] };
}

/** Common indices: the row (b, h, i) of this workgroup; T, H, hd, C; row offsets into [B·T, C]. */
const ROW = `
    let tid = localId.x;
    let T = u32(uniforms.T);
    let H = u32(uniforms.H);
    let C = u32(uniforms.qShape[1]);
    let hd = C / H;
    // Spare workgroups (rows spread over y) redo the last row, writing the same values: an early
    // return would make the barriers below non-uniform.
    let row = min(workgroupId.y * numWorkgroups.x + workgroupId.x, u32(uniforms.qShape[0]) * H - 1u);
    let b = row / (H * T);
    let h = (row / T) % H;
    let i = row % T;
    let at = b * T * C + h * hd; // (b, position 0, head h)`;

const HELPERS = `
  ${reduceRowWgsl(WG)}
  fn dotRows(x : u32, y : u32, hd : u32, which : u32) -> f32 {
    var s = 0.0;
    for (var d = 0u; d < hd; d = d + 1u) { s = s + load(which, x + d) * load(which + 1u, y + d); }
    return s;
  }`;

/** Row i's scores q_i·k_s·scale (s ≤ i) into p, and their max M. */
const ROW_SCORES = `
    var m = -3.4e38;
    for (var s = tid; s <= i; s = s + ${WG}u) {
      let sc = dotRows(at + i * C, at + s * C, hd, 0u) * uniforms.scale;
      p[s] = sc;
      m = max(m, sc);
    }
    let M = reduceRow(m, tid, true);`;

const UNIFORMS = 'T : i32, H : i32, scale : f32,';

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

function forward(shapes: number[][], T: number, H: number): Program {
  const [BT, C] = shapes[0] as [number, number];
  return program('kdAttention', ['q', 'k', 'v'], [BT, C], T, BT * H, `
${ROW_SCORES}
    var z = 0.0;
    for (var s = tid; s <= i; s = s + ${WG}u) { let e = exp(p[s] - M); p[s] = e; z = z + e; }
    let Z = reduceRow(z, tid, false);
    for (var d = tid; d < hd; d = d + ${WG}u) {
      var acc = 0.0;
      for (var s = 0u; s <= i; s = s + 1u) { acc = acc + p[s] * v[at + s * C + d]; }
      result[at + i * C + d] = acc / Z;
    }`, LOAD_QK);
}

/** [B·H·T, 2]: lse of every query row, and D = dy·y. */
function stats(shapes: number[][], T: number, H: number): Program {
  const [BT] = shapes[0] as [number, number];
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
function grad(which: 'dq' | 'dk' | 'dv', shapes: number[][], T: number, H: number): Program {
  const [BT, C] = shapes[0] as [number, number];
  const query = which === 'dq';
  const [lo, hi] = query ? ['0u', 'i + 1u'] : ['i', 'T'];
  const t = query ? 'i' : 'j';
  const s = query ? 'j' : 'i';
  const weight = which === 'dv' ? 'P' : 'P * (dotRows(at + t * C, at + s * C, hd, 2u) - stats[st * 2u + 1u])';
  const sum = which === 'dq' ? `k[at + j * C + d]` : which === 'dk' ? `q[at + j * C + d]` : `dy[at + j * C + d]`;
  const factor = which === 'dv' ? '1.0' : 'uniforms.scale';
  return program(`kdAttentionGrad_${which}`, ['q', 'k', 'v', 'dy', 'stats'], [BT, C], T, BT * H, `
    for (var j = ${lo} + tid; j < ${hi}; j = j + ${WG}u) {
      let t = ${t};
      let s = ${s};
      let st = (b * H + h) * T + t;
      let P = exp(dotRows(at + t * C, at + s * C, hd, 0u) * uniforms.scale - stats[st * 2u]);
      p[j] = ${weight};
    }
    workgroupBarrier();
    for (var d = tid; d < hd; d = d + ${WG}u) {
      var acc = 0.0;
      for (var j = ${lo}; j < ${hi}; j = j + 1u) { acc = acc + p[j] * ${sum}; }
      result[at + i * C + d] = ${factor} * acc;
    }`, `fn load(which : u32, at : u32) -> f32 { if (which == 0u) { return q[at]; } if (which == 1u) { return k[at]; } if (which == 2u) { return dy[at]; } return v[at]; }`);
}

export function registerAttention(): void {
  const uniforms = (a: Record<string, number>) => [
    { type: 'int32' as const, data: [a.T!] },
    { type: 'int32' as const, data: [a.H!] },
    { type: 'float32' as const, data: [a.scale!] },
  ];
  registerProgram(FUSED.attention, ['q', 'k', 'v'], (s, a) => ({ program: forward(s, a.T!, a.H!), uniforms: uniforms(a) }));
  registerProgram(FUSED.attentionStats, ['q', 'k', 'y', 'dy'], (s, a) => ({ program: stats(s, a.T!, a.H!), uniforms: uniforms(a) }));
  for (const w of ['dq', 'dk', 'dv'] as const) {
    const name = w === 'dq' ? FUSED.attentionGradQ : w === 'dk' ? FUSED.attentionGradK : FUSED.attentionGradV;
    registerProgram(name, ['q', 'k', 'v', 'dy', 'stats'], (s, a) => ({ program: grad(w, s, a.T!, a.H!), uniforms: uniforms(a) }));
  }
}
