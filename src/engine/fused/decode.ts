/**
 * Decoding as three kinds of program, a model's whole block in one dispatch:
 *  - KdDecodeEmbed: token + position embedding of the new positions → x [B, T, C]; the token ids
 *    are read from a column of any int32 or float32 tensor (a prompt, or the rollout decision's
 *    rows [B, 4]), so no cast or slice runs between tokens;
 *  - KdDecodeBlock: one transformer block for the new positions of every row (a workgroup per
 *    row, the positions in turn): LayerNorm, the fused q|k|v projection with the keys and values
 *    written straight into the layer's cache, one-query causal attention over the cache, the
 *    output projection + residual, LayerNorm, the MLP with GELU, + residual. It works in place on
 *    the layer's decode state (below), so a block is one dispatch where the generic graph takes
 *    ~30 and the per-op fused programs 9;
 *  - KdDecodeHead: the final LayerNorm and the tied LM head of the last new position → [B, V]
 *    (a workgroup per row and 64 vocabulary entries).
 *
 * A layer's decode state is one float32 tensor [B, R] (layout in src/model/fused/decoding.ts):
 *   cache [S, 2, C]  keys then values of each position, heads side by side
 *   x     [TN, C]    the block's output for the new positions (the next block's input)
 *   h, q, y, m [C], f [F], p [H, S]  scratch of the position being computed.
 * Every workgroup touches only its own row, so the in-place writes never race.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FUSED, type DecodeLayout, decodeLayout } from '../../model/fused';
import {
  type Program,
  declareUniforms,
  perItem,
  perRow,
  registerKernelFunc,
  reduceRowWgsl,
  rowMain,
  rowThreads,
} from './program';
import { TANH_WGSL } from './gelu';

/** Threads of a block's workgroup: about one per channel up to C = 64, more for the widest loop (3C outputs) past it. */
export const blockThreads = (C: number) => (C <= 128 ? rowThreads(C, 64) : C <= 384 ? 128 : 256);
/** Threads of a head workgroup: one per vocabulary entry of its chunk. */
const headThreads = (V: number) => rowThreads(V, 64);

const EMBED = declareUniforms({ col: 'i32', past: 'i32' });
const BLOCK = declareUniforms({ past: 'i32', count: 'i32', xStride: 'i32', xOffset: 'i32', eps: 'f32', scale: 'f32' });
const HEAD = declareUniforms({ xOffset: 'i32', eps: 'f32' });

function embed(outShape: number[]): Program {
  return {
    variableNames: ['ids', 'wte', 'wpe'],
    outputShape: outShape,
    shaderKey: 'kdDecodeEmbed',
    uniforms: EMBED.wgsl,
    ...perItem(outShape.reduce((a, b) => a * b, 1)),
    getUserCode: () => `
  fn main(index : i32) {
    let T = uniforms.outShape[1];
    let C = uniforms.outShape[2];
    if (index >= uniforms.outShape[0] * T * C) { return; }
    let b = index / (T * C);
    let t = (index / C) % T;
    let c = index % C;
    let id = i32(ids[b * uniforms.idsShape[1] + uniforms.col + t]);
    var e = 0.0; // an id outside the vocabulary embeds as zeros, as gather does on webgpu
    if (id >= 0 && id < uniforms.wteShape[0]) { e = wte[id * C + c]; }
    result[index] = e + wpe[(uniforms.past + t) * C + c];
  }`,
  };
}

/**
 * WGSL: `meanRstd_<buf>(at, n, eps, tid)`, the mean and 1/√(var + ε) of the n values of input (or
 * result) `buf` from `at` (two passes, as the reference; needs reduceRow; uniform control flow).
 */
const meanRstdWgsl = (buf: string, WG: number) => `
  fn meanRstd_${buf}(at : u32, n : u32, eps : f32, tid : u32) -> vec2<f32> {
    var s1 = 0.0;
    for (var c = tid; c < n; c = c + ${WG}u) { s1 = s1 + ${buf}[at + c]; }
    let mu = reduceRow(s1, tid, false) / f32(n);
    var s2 = 0.0;
    for (var c = tid; c < n; c = c + ${WG}u) { let d = ${buf}[at + c] - mu; s2 = s2 + d * d; }
    return vec2<f32>(mu, inverseSqrt(reduceRow(s2, tid, false) / f32(n) + eps));
  }`;

function block(L: DecodeLayout, B: number, bias: boolean): Program {
  const { C, H, F, S } = L;
  const WG = blockThreads(C);
  const hd = C / H;
  // the vectors' offsets (BlockWeights): LayerNorm gains and biases, then the linear biases
  const ln = { g1: 0, b1: C, g2: 2 * C, b2: 3 * C };
  const lin = { qkv: 4 * C, o: 7 * C, fc1: 8 * C, fc2: 8 * C + F };
  const vec = (off: number, i: string) => `vectors[${off}u + ${i}]`;
  const b = (off: number, j: string) => (bias ? vec(off, j) : '0.0');
  const st = (off: number, i: string) => `result[base + ${off}u + ${i}]`; // this row's state
  const xin = (i: string) => `x[xBase + t * C + ${i}]`;
  return {
    variableNames: ['x', 'wqkv', 'wo', 'w1', 'w2', 'vectors'],
    outputShape: [B, L.R],
    shaderKey: `kdDecodeBlock_${C}_${H}_${F}_${S}_${L.TN}_${bias}`,
    uniforms: BLOCK.wgsl,
    ...perRow(B, WG),
    getUserCode: () => `
  ${TANH_WGSL}
  ${reduceRowWgsl(WG)}
  ${meanRstdWgsl('x', WG)}
  ${meanRstdWgsl('result', WG)}
  const C = ${C}u;
  ${rowMain('u32(uniforms.outShape[0])', `
    let base = row * ${L.R}u;
    let xBase = row * u32(uniforms.xStride) + u32(uniforms.xOffset);
    for (var t = 0u; t < u32(uniforms.count); t = t + 1u) {
      let pos = u32(uniforms.past) + t;
      let n = pos + 1u; // positions attended: the cache so far and this one
      { // LayerNorm 1 → h
        let s = meanRstd_x(xBase + t * C, C, uniforms.eps, tid);
        for (var c = tid; c < C; c = c + ${WG}u) {
          ${st(L.h, 'c')} = (${xin('c')} - s.x) * s.y * ${vec(ln.g1, 'c')} + ${vec(ln.b1, 'c')};
        }
      }
      storageBarrier();
      // q | k | v = h·Wqkv (+ b): q to scratch, k and v into the cache at pos
      for (var j = tid; j < 3u * C; j = j + ${WG}u) {
        var acc = ${b(lin.qkv, 'j')};
        for (var k = 0u; k < C; k = k + 1u) { acc = acc + ${st(L.h, 'k')} * wqkv[k * 3u * C + j]; }
        if (j < C) { ${st(L.q, 'j')} = acc; } else { ${st(0, 'pos * 2u * C + j - C')} = acc; }
      }
      storageBarrier();
      // scores of every head over positions 0..pos
      for (var i = tid; i < ${H}u * n; i = i + ${WG}u) {
        let hh = i / n;
        let s = i % n;
        var dot = 0.0;
        for (var d = 0u; d < ${hd}u; d = d + 1u) { dot = dot + ${st(L.q, 'hh * ' + hd + 'u + d')} * ${st(0, 's * 2u * C + hh * ' + hd + 'u + d')}; }
        ${st(L.p, 'hh * ' + S + 'u + s')} = dot * uniforms.scale;
      }
      storageBarrier();
      // softmax of each head's scores (a thread per head)
      if (tid < ${H}u) {
        let pb = ${L.p}u + tid * ${S}u;
        var m = -3.4e38;
        for (var s = 0u; s < n; s = s + 1u) { m = max(m, result[base + pb + s]); }
        var z = 0.0;
        for (var s = 0u; s < n; s = s + 1u) { let e = exp(result[base + pb + s] - m); result[base + pb + s] = e; z = z + e; }
        for (var s = 0u; s < n; s = s + 1u) { result[base + pb + s] = result[base + pb + s] / z; }
      }
      storageBarrier();
      // y = attention-weighted values
      for (var j = tid; j < C; j = j + ${WG}u) {
        let pb = ${L.p}u + (j / ${hd}u) * ${S}u;
        var acc = 0.0;
        for (var s = 0u; s < n; s = s + 1u) { acc = acc + result[base + pb + s] * ${st(0, 's * 2u * C + C + j')}; }
        ${st(L.y, 'j')} = acc;
      }
      storageBarrier();
      // m = x + y·Wo (+ b)
      for (var j = tid; j < C; j = j + ${WG}u) {
        var acc = ${xin('j')} + ${b(lin.o, 'j')};
        for (var k = 0u; k < C; k = k + 1u) { acc = acc + ${st(L.y, 'k')} * wo[k * C + j]; }
        ${st(L.m, 'j')} = acc;
      }
      storageBarrier();
      { // LayerNorm 2 → h
        let s = meanRstd_result(base + ${L.m}u, C, uniforms.eps, tid);
        for (var c = tid; c < C; c = c + ${WG}u) {
          ${st(L.h, 'c')} = (${st(L.m, 'c')} - s.x) * s.y * ${vec(ln.g2, 'c')} + ${vec(ln.b2, 'c')};
        }
      }
      storageBarrier();
      // f = GELU(h·W1 (+ b))
      for (var j = tid; j < ${F}u; j = j + ${WG}u) {
        var z = ${b(lin.fc1, 'j')};
        for (var k = 0u; k < C; k = k + 1u) { z = z + ${st(L.h, 'k')} * w1[k * ${F}u + j]; }
        ${st(L.f, 'j')} = 0.5 * z * (1.0 + kdTanh(K_GELU * (z + 0.044715 * z * z * z)));
      }
      storageBarrier();
      // the block's output at this position: m + f·W2 (+ b)
      for (var j = tid; j < C; j = j + ${WG}u) {
        var acc = ${st(L.m, 'j')} + ${b(lin.fc2, 'j')};
        for (var k = 0u; k < ${F}u; k = k + 1u) { acc = acc + ${st(L.f, 'k')} * w2[k * C + j]; }
        ${st(L.x, 't * C + j')} = acc;
      }
      storageBarrier();
    }`)}`,
  };
}

/** A workgroup per (row, chunk of the vocabulary): each normalises its row, then writes its chunk's logits. */
function head(B: number, C: number, V: number): Program {
  const WG = headThreads(V);
  const chunks = `((u32(uniforms.wteShape[0]) + ${WG - 1}u) / ${WG}u)`;
  return {
    variableNames: ['state', 'gain', 'bias', 'wte'],
    outputShape: [B, V],
    shaderKey: `kdDecodeHead_${C}`,
    uniforms: HEAD.wgsl,
    ...perRow(B * Math.ceil(V / WG), WG),
    getUserCode: () => `
  ${reduceRowWgsl(WG)}
  ${meanRstdWgsl('state', WG)}
  var<workgroup> nrm : array<f32, ${C}>;
  const C = ${C}u;
  ${rowMain(`u32(uniforms.stateShape[0]) * ${chunks}`, `
    let V = u32(uniforms.wteShape[0]);
    let b = row / ${chunks};
    let xb = b * u32(uniforms.stateShape[1]) + u32(uniforms.xOffset);
    let s = meanRstd_state(xb, C, uniforms.eps, tid);
    for (var c = tid; c < C; c = c + ${WG}u) { nrm[c] = (state[xb + c] - s.x) * s.y * gain[c] + bias[c]; }
    workgroupBarrier();
    let v = (row % ${chunks}) * ${WG}u + tid;
    if (v < V) {
      var acc = 0.0;
      for (var k = 0u; k < C; k = k + 1u) { acc = acc + nrm[k] * wte[v * C + k]; }
      result[b * V + v] = acc;
    }`)}`,
  };
}

type Attrs = Record<string, number>;

export function registerDecode(): void {
  registerKernelFunc(FUSED.decodeEmbed, ({ inputs, backend, attrs }) => {
    const { ids, wte, wpe } = inputs as unknown as Record<'ids' | 'wte' | 'wpe', tf.TensorInfo>;
    const a = attrs as unknown as Attrs;
    const program = embed([ids.shape[0]!, a.count!, wte.shape[1]!]);
    return backend.runWebGPUProgram(program, [ids, wte, wpe], 'float32', EMBED.values({ col: a.col!, past: a.past! }));
  });
  // In place: the program writes into the state's own buffer and the result shares it (as a
  // reshape does), so the state tensor passed in must not be used again by its owner.
  registerKernelFunc(FUSED.decodeBlock, ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as Attrs;
    const names = ['x', 'wqkv', 'wo', 'w1', 'w2', 'vectors'] as const;
    const ins = inputs as unknown as Record<(typeof names)[number] | 'state', tf.TensorInfo>;
    const { state } = ins;
    const [B] = state.shape as [number, number];
    const layout = decodeLayout({ C: a.C!, H: a.H!, F: a.F!, S: a.S!, TN: a.TN! });
    if (layout.R !== state.shape[1]) throw new Error(`a state row of ${state.shape[1]} floats, the layout needs ${layout.R}`);
    const uniforms = BLOCK.values(a as Record<'past' | 'count' | 'xStride' | 'xOffset' | 'eps' | 'scale', number>);
    backend.incRef(state.dataId);
    return backend.runWebGPUProgram(block(layout, B, a.bias === 1), names.map((n) => ins[n]), 'float32', uniforms, { dataId: state.dataId, shape: state.shape, dtype: 'float32' });
  });
  registerKernelFunc(FUSED.decodeHead, ({ inputs, backend, attrs }) => {
    const { state, gain, bias, wte } = inputs as unknown as Record<'state' | 'gain' | 'bias' | 'wte', tf.TensorInfo>;
    const a = attrs as unknown as Attrs;
    const [V, C] = wte.shape as [number, number];
    const uniforms = HEAD.values({ xOffset: a.xOffset!, eps: a.eps! });
    return backend.runWebGPUProgram(head(state.shape[0]!, C, V), [state, gain, bias, wte], 'float32', uniforms);
  });
}
