/**
 * Causal self-attention for training and evaluation as WebGPU programs, on q, k, v laid out as
 * the projection writes them ([B·T, C], heads side by side: no transposes). With S = q·kᵀ/√hd
 * (s ≤ t only), P = softmax(S), y = P·v:
 *   forward     one program: a workgroup per tile of query rows of one (b, h) walks the keys in
 *               blocks, softmax online (a running max and sum per row), and sums the values;
 *   backward    four: per row lse_t = log Σ_s exp S_ts and D_t = dy_t·y_t (flash-attention's
 *               trick: Σ_s P_ts dP_ts = D_t), then, a tile of rows to a workgroup likewise,
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
import { type Program, declareUniforms, perRow, registerKernelFunc, rowMain, rowThreads } from './program';

const UNIFORMS = declareUniforms({
  T: 'i32', H: 'i32', scale: 'f32', C: 'i32', W: 'i32',
  qOff: 'i32', kOff: 'i32', vOff: 'i32', oStride: 'i32', oOff: 'i32',
});

type Attrs = Record<'T' | 'H' | 'scale' | 'C' | 'W' | 'qOff' | 'kOff' | 'vOff', number> & { packed?: number };

/**
 * Tiles: a workgroup takes R rows of one (b, h) (query rows forward and for dq, key rows for dk,
 * dv) and walks the other side in blocks of WG positions. Per block, thread n scores position n
 * against all R rows at once (R sums in registers: each k or q value it reads serves R products),
 * the R × WG weights go to workgroup memory, then thread d adds them times column d of v, k, q or
 * dy into R sums of its own (a head wider than WG takes more passes). Two or three barriers a
 * block, not a row: on SwiftShader each barrier and each read from memory costs more than a product.
 */
function tiles(a: Attrs): { WG: number; R: number } {
  const WG = rowThreads(Math.max(a.C / a.H, Math.min(a.T, 64)), 256);
  return { WG, R: Math.min(16, a.T, 2048 / WG) };
}

/** WGSL: the index of q, k or v (column offset `off`) at position `pos` of the (b, h) at `base`. */
const QKV_INDEX = `
  fn qkvIndex(base : u32, pos : u32, off : i32) -> u32 { return base + pos * u32(uniforms.W) + u32(off); }`;

/** `f(r)` for r = 0 … R − 1, joined: WGSL unrolled over a tile's rows (a0, a1 … stay in registers). */
const rows = (R: number, f: (r: number) => string, sep = ' ') =>
  Array.from({ length: R }, (_, r) => f(r)).join(sep);

/**
 * WGSL: the tile of this workgroup's `row` (from rowMain), b, h and the first of its R rows i0,
 * iN (one past its last), and what the programs index with: T, H, C, hd; `at`, (b, position 0,
 * head h) of the [B·T, C] tensors (y, dy), `qkvAt`, the same of q, k, v (row stride W: qkvIndex
 * adds a position and their column offset), and `st`, the same of the [B·H·T, 2] stats.
 */
const tileWgsl = (R: number) => `
    let T = u32(uniforms.T);
    let H = u32(uniforms.H);
    let C = u32(uniforms.C);
    let hd = C / H;
    let NB = (T + ${R - 1}u) / ${R}u;
    let b = row / (H * NB);
    let h = (row / NB) % H;
    let i0 = (row % NB) * ${R}u;
    let iN = min(i0 + ${R}u, T);
    let at = b * T * C + h * hd;
    let qkvAt = b * T * u32(uniforms.W) + h * hd;
    let st = (b * H + h) * T;`;

/** WGSL: `name<r> = x·y` for the R rows, over hd: `x(r)` and `y` read a value less its closing `+ e]`. */
const dots = (R: number, name: string, x: (r: number) => string, y: string) => `
      ${rows(R, (r) => `var ${name}${r} = 0.0;`)}
      for (var e = 0u; e < hd; e = e + 1u) {
        ${rows(R, (r) => `${name}${r} = ${name}${r} + ${x(r)} + e] * ${y} + e];`, '\n        ')}
      }`;

/**
 * WGSL: per block of positions from `from` to `to` (exclusive) of WG, `score` (thread n: weights
 * of position p = from + n into sc[r·WG + n], then a barrier, then `mid`), then thread d of the
 * pass adds Σ_j sc[r·WG + j]·`col`(position s0 + j, column d) into o<r>; `end` writes after the
 * blocks. Without `col`, one pass and no sums.
 */
type Blocks = { from: string; to: string; score: string; mid?: string; col?: string; end: string };
function blocks(WG: number, R: number, o: Blocks) {
  return `
    for (var d0 = 0u; d0 < ${o.col ? 'hd' : '1u'}; d0 = d0 + ${WG}u) {
      let d = d0 + tid;
      ${rows(R, (r) => `var o${r} = 0.0;`)}
      var m = -3.4e38;
      var l = 0.0;
      for (var s0 = ${o.from}; s0 < ${o.to}; s0 = s0 + ${WG}u) {
        let n = min(${WG}u, ${o.to} - s0);
        let p = s0 + min(tid, n - 1u);
        ${o.score}
        workgroupBarrier();
        ${o.mid ?? ''}
        ${o.col ? `if (d < hd) {
          for (var j = 0u; j < n; j = j + 1u) {
            let x = ${o.col};
            ${rows(R, (r) => `o${r} = o${r} + sc[${r * WG}u + j] * x;`, '\n            ')}
          }
        }` : ''}
        workgroupBarrier();
      }
      ${o.end}
    }`;
}

/** A workgroup per tile of R rows of one (b, h): the body from `tileWgsl` on. */
function program(
  name: string,
  vars: string[],
  outputShape: number[],
  a: Attrs,
  BT: number,
  body: (WG: number, R: number) => string,
): Program {
  const { WG, R } = tiles(a);
  const T = 'u32(uniforms.T)';
  const tilesWgsl = `u32(uniforms.qShape[0]) / ${T} * u32(uniforms.H) * ((${T} + ${R - 1}u) / ${R}u)`;
  return {
    variableNames: vars,
    outputShape,
    shaderKey: `${name}_${WG}_${R}`,
    uniforms: UNIFORMS.wgsl,
    ...perRow((BT / a.T) * a.H * Math.ceil(a.T / R), WG),
    getUserCode: () => `
  var<workgroup> sc : array<f32, ${R * WG}>;
  var<workgroup> al : array<f32, ${R}>;
  ${QKV_INDEX}
  ${rowMain(tilesWgsl, `${tileWgsl(R)}
    ${vars.map((x) => `_ = &${x};`).join(' ')} // tfjs binds every input: one the shader never reads fails validation
${body(WG, R)}`)}`,
  };
}

/** WGSL, a clamped row of the tile: the index of q, k or v (`off`), and that of dy. */
const mine = (r: number, off: string) => `qkvIndex(qkvAt, min(i0 + ${r}u, T - 1u), uniforms.${off})`;
const dyRow = (r: number) => `dy[at + min(i0 + ${r}u, T - 1u) * C`;
/** WGSL: sc[r·WG + tid] = `value(r)` where `keep(r)` holds (a position in the block and causal), else `masked`. */
const weights = (WG: number, R: number, masked: string, value: (r: number) => string, keep: (r: number) => string) =>
  rows(R, (r) => `sc[${r * WG}u + tid] = select(${masked}, ${value(r)}, ${keep(r)} && tid < n);`, '\n        ');

/** WGSL: the query rows' scores against key p into sc (masked past each row). */
const softmaxBlock = (WG: number, R: number) => `
        let kp = qkvIndex(qkvAt, p, uniforms.kOff);
        ${dots(R, 'a', (r) => `q[${mine(r, 'qOff')}`, 'k[kp')}
        ${weights(WG, R, '-3.4e38', (r) => `a${r} * uniforms.scale`, (r) => `s0 + tid <= i0 + ${r}u`)}`;

/** WGSL: row thread r's online softmax: the block's max, weights exp(S − max) into sc, running max m and sum l. */
const softmaxMid = (WG: number, R: number) => `
        if (tid < ${R}u) {
          var bm = -3.4e38;
          for (var j = 0u; j < n; j = j + 1u) { bm = max(bm, sc[tid * ${WG}u + j]); }
          let mn = max(m, bm);
          var z = 0.0;
          for (var j = 0u; j < n; j = j + 1u) {
            let e = exp(sc[tid * ${WG}u + j] - mn);
            sc[tid * ${WG}u + j] = e;
            z = z + e;
          }
          al[tid] = exp(m - mn);
          l = l * al[tid] + z;
          m = mn;
        }
        workgroupBarrier();
        ${rows(R, (r) => `o${r} = o${r} * al[${r}u];`)}`;

function forward(BT: number, a: Attrs): Program {
  return program('kdAttention', ['q', 'k', 'v'], [BT, a.C], a, BT, (WG, R) => blocks(WG, R, {
    from: '0u', to: 'iN', score: softmaxBlock(WG, R), mid: softmaxMid(WG, R),
    col: 'v[qkvIndex(qkvAt, s0 + j, uniforms.vOff) + d]',
    end: `if (tid < ${R}u) { al[tid] = 1.0 / l; }
      workgroupBarrier();
      if (d < hd) {
        ${rows(R, (r) => `if (i0 + ${r}u < T) { result[at + (i0 + ${r}u) * C + d] = o${r} * al[${r}u]; }`, '\n        ')}
      }`,
  }));
}

/** [B·H·T, 2]: lse of every query row, and D = dy·y (the forward's blocks, one pass, no sums over v). */
function stats(BT: number, a: Attrs): Program {
  return program('kdAttentionStats', ['q', 'k', 'y', 'dy'], [BT * a.H, 2], a, BT, (WG, R) => blocks(WG, R, {
    from: '0u', to: 'iN', score: softmaxBlock(WG, R), mid: softmaxMid(WG, R),
    end: `if (tid < iN - i0) {
        var dd = 0.0;
        let yi = at + (i0 + tid) * C;
        for (var e = 0u; e < hd; e = e + 1u) { dd = dd + dy[yi + e] * y[yi + e]; }
        result[(st + i0 + tid) * 2u] = m + log(l);
        result[(st + i0 + tid) * 2u + 1u] = dd;
      }`,
  }));
}

/**
 * dq (a tile of query rows t, over keys s ≤ t), or dk / dv (a tile of key rows s, over queries
 * t ≥ s): dq_t = scale Σ_s dS_ts k_s, dk_s = scale Σ_t dS_ts q_t, dv_s = Σ_t P_ts dy_t.
 */
function grad(which: 'dq' | 'dk' | 'dv', outShape: number[], a: Attrs): Program {
  const BT = outShape[0]!;
  const vars = ['q', 'k', 'v', 'dy', 'stats'];
  return program(`kdAttentionGrad_${which}`, vars, outShape, a, BT, (WG, R) => {
    const out = (r: number) => `(b * T + i0 + ${r}u) * u32(uniforms.oStride) + u32(uniforms.oOff) + h * hd + d`;
    const store = (f: string) =>
      `if (d < hd) { ${rows(R, (r) => `if (i0 + ${r}u < T) { result[${out(r)}] = ${f} * o${r}; }`, '\n        ')} }`;
    if (which === 'dq') {
      const stat = (r: number, k: number) => `stats[(st + min(i0 + ${r}u, T - 1u)) * 2u + ${k}u]`;
      const dS = (r: number) => `exp(a${r} * uniforms.scale - ${stat(r, 0)}) * (c${r} - ${stat(r, 1)})`;
      return blocks(WG, R, {
        from: '0u', to: 'iN',
        score: `let kp = qkvIndex(qkvAt, p, uniforms.kOff);
        let vp = qkvIndex(qkvAt, p, uniforms.vOff);
        ${dots(R, 'a', (r) => `q[${mine(r, 'qOff')}`, 'k[kp')}
        ${dots(R, 'c', dyRow, 'v[vp')}
        ${weights(WG, R, '0.0', dS, (r) => `s0 + tid <= i0 + ${r}u`)}`,
        col: 'k[qkvIndex(qkvAt, s0 + j, uniforms.kOff) + d]',
        end: store('uniforms.scale'),
      });
    }
    const dk = which === 'dk';
    const P = (r: number) => `exp(a${r} * uniforms.scale - lse)`;
    return blocks(WG, R, {
      from: 'i0', to: 'T',
      score: `let qp = qkvIndex(qkvAt, p, uniforms.qOff);
        let lse = stats[(st + p) * 2u];
        let D = stats[(st + p) * 2u + 1u];
        ${dots(R, 'a', (r) => `k[${mine(r, 'kOff')}`, 'q[qp')}
        ${dk ? dots(R, 'c', (r) => `v[${mine(r, 'vOff')}`, 'dy[at + p * C') : ''}
        ${weights(WG, R, '0.0', (r) => (dk ? `${P(r)} * (c${r} - D)` : P(r)), (r) => `s0 + tid >= i0 + ${r}u`)}`,
      col: dk ? 'q[qkvIndex(qkvAt, s0 + j, uniforms.qOff) + d]' : 'dy[at + (s0 + j) * C + d]',
      end: store(dk ? 'uniforms.scale' : '1.0'),
    });
  });
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
