/**
 * Decoding one token at a time with a KV cache preallocated to the sequence length:
 *  - KdCacheWrite writes the new position's keys (or values), C columns from `offset` of a row of
 *    x (heads side by side: [B, C], or the fused projection [B, 3C] read in place), into the cache
 *    [B, H, S_max, hd] in place — no per-token concat that recopies the cache;
 *  - KdDecodeAttention is causal attention of the one new query (C columns from `offset` of q's
 *    rows) over the cache's first `length` positions, scores, softmax and the weighted sum in one
 *    program, written as [B, C].
 * The reference graph takes ~11 dispatches per layer for the same (three head transposes, two
 * concats, two matmuls, scale, mask, softmax, a transpose back); these take 3.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FUSED } from '../../model/fused';
import { type Program, type Uniform, perItem, perRow, registerProgram, registerKernelFunc, reduceRowWgsl } from './program';

const WG = 64;

function cacheWrite(cacheShape: number[]): Program {
  const [B, H, , hd] = cacheShape as [number, number, number, number];
  return {
    variableNames: ['x'],
    outputShape: cacheShape,
    shaderKey: 'kdCacheWrite',
    uniforms: 'pos : i32, offset : i32,',
    ...perItem(B * H * hd),
    getUserCode: () => `
  fn main(index : i32) {
    let H = uniforms.outShape[1];
    let S = uniforms.outShape[2];
    let hd = uniforms.outShape[3];
    let C = H * hd;
    if (index >= uniforms.xShape[0] * C) { return; }
    let b = index / C;
    let c = index % C;
    result[((b * H + c / hd) * S + uniforms.pos) * hd + c % hd] = x[b * uniforms.xShape[1] + uniforms.offset + c];
  }`,
  };
}

function decodeAttention(qShape: number[], cacheShape: number[]): Program {
  const [B] = qShape as [number, number];
  const [, H, S, hd] = cacheShape as [number, number, number, number];
  return {
    variableNames: ['q', 'k', 'v'],
    outputShape: [B, H * hd],
    shaderKey: `kdDecodeAttention_${S}`,
    uniforms: 'len : i32, scale : f32, offset : i32,',
    ...perRow(B * H, WG),
    getUserCode: () => `
  var<workgroup> p : array<f32, ${S}>;
  ${reduceRowWgsl(WG)}
  fn main(index : i32) {
    let tid = localId.x;
    let bh = workgroupId.x;
    let H = u32(uniforms.kShape[1]);
    let Smax = u32(uniforms.kShape[2]);
    let hd = u32(uniforms.kShape[3]);
    let C = H * hd;
    let b = bh / H;
    let h = bh % H;
    let len = u32(uniforms.len);
    let qBase = b * u32(uniforms.qShape[1]) + u32(uniforms.offset) + h * hd; // q may sit inside a wider row (the fused projection)
    let outBase = b * C + h * hd;
    let kBase = bh * Smax * hd;
    var m = -3.4e38;
    for (var s = tid; s < len; s = s + ${WG}u) {
      var dot = 0.0;
      for (var d = 0u; d < hd; d = d + 1u) { dot = dot + q[qBase + d] * k[kBase + s * hd + d]; }
      let sc = dot * uniforms.scale;
      p[s] = sc;
      m = max(m, sc);
    }
    let M = reduceRow(m, tid, true);
    var z = 0.0;
    for (var s = tid; s < len; s = s + ${WG}u) { let e = exp(p[s] - M); p[s] = e; z = z + e; }
    let Z = reduceRow(z, tid, false);
    for (var d = tid; d < hd; d = d + ${WG}u) {
      var acc = 0.0;
      for (var s = 0u; s < len; s = s + 1u) { acc = acc + p[s] * v[kBase + s * hd + d]; }
      result[outBase + d] = acc / Z;
    }
  }`,
  };
}

export function registerDecode(): void {
  // In place: the program writes into the cache's own buffer, and the result shares it (as a
  // reshape does), so the cache tensor passed in must not be used again by its owner.
  registerKernelFunc(FUSED.cacheWrite, ({ inputs, backend, attrs }) => {
    const { cache, x } = inputs as unknown as { cache: tf.TensorInfo; x: tf.TensorInfo };
    const pos = (attrs as unknown as { pos: number }).pos;
    const offset = (attrs as unknown as { offset: number }).offset;
    const uniforms: Uniform[] = [
      { type: 'int32', data: [pos] },
      { type: 'int32', data: [offset] },
    ];
    backend.incRef(cache.dataId);
    return backend.runWebGPUProgram(cacheWrite(cache.shape), [x], 'float32', uniforms, { dataId: cache.dataId, shape: cache.shape, dtype: 'float32' });
  });
  registerProgram(FUSED.decodeAttention, ['q', 'k', 'v'], (shapes, attrs) => ({
    program: decodeAttention(shapes[0]!, shapes[1]!),
    uniforms: [
      { type: 'int32', data: [attrs.length!] },
      { type: 'float32', data: [attrs.scale!] },
      { type: 'int32', data: [attrs.offset!] },
    ],
  }));
}
