/**
 * GPT-2 written out in plain JavaScript from the Hugging Face names (no tfjs): an independent
 * reference for the importer and the engine's forward. One sequence, float64 arithmetic.
 */
export interface RefConfig {
  nLayer: number;
  nHead: number;
  C: number;
  F: number;
  V: number;
  eps: number;
}

type W = Record<string, ArrayLike<number>>;

const matVec = (x: number[], w: ArrayLike<number>, b: ArrayLike<number> | undefined, n: number): number[] =>
  Array.from({ length: n }, (_, j) => x.reduce((acc, xi, i) => acc + xi * w[i * n + j]!, b ? b[j]! : 0));

function layerNorm(x: number[], g: ArrayLike<number>, b: ArrayLike<number>, eps: number): number[] {
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  const vr = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(vr + eps)) * g[i]! + b[i]!);
}

const geluNew = (z: number) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));

/** Logits [T][V] of the token ids, with the weights under transformers' names (no prefix). */
export function refGpt2(w: W, c: RefConfig, ids: number[]): number[][] {
  const hd = c.C / c.nHead;
  let xs = ids.map((id, t) => Array.from({ length: c.C }, (_, j) => w['wte.weight']![id * c.C + j]! + w['wpe.weight']![t * c.C + j]!));
  for (let l = 0; l < c.nLayer; l++) {
    const p = `h.${l}.`;
    const qkv = xs.map((x) => matVec(layerNorm(x, w[`${p}ln_1.weight`]!, w[`${p}ln_1.bias`]!, c.eps), w[`${p}attn.c_attn.weight`]!, w[`${p}attn.c_attn.bias`], 3 * c.C));
    const ys = xs.map((_, t) => {
      const y = new Array<number>(c.C).fill(0);
      for (let h = 0; h < c.nHead; h++) {
        const q = qkv[t]!.slice(h * hd, (h + 1) * hd);
        const scores = qkv.slice(0, t + 1).map((r) => q.reduce((a, qi, d) => a + qi * r[c.C + h * hd + d]!, 0) / Math.sqrt(hd));
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let d = 0; d < hd; d++) y[h * hd + d] = e.reduce((a, ei, s) => a + (ei / z) * qkv[s]![2 * c.C + h * hd + d]!, 0);
      }
      return y;
    });
    xs = xs.map((x, t) => {
      const o = matVec(ys[t]!, w[`${p}attn.c_proj.weight`]!, w[`${p}attn.c_proj.bias`], c.C);
      const x1 = x.map((v, j) => v + o[j]!);
      const f = matVec(layerNorm(x1, w[`${p}ln_2.weight`]!, w[`${p}ln_2.bias`]!, c.eps), w[`${p}mlp.c_fc.weight`]!, w[`${p}mlp.c_fc.bias`], c.F).map(geluNew);
      const m = matVec(f, w[`${p}mlp.c_proj.weight`]!, w[`${p}mlp.c_proj.bias`], c.C);
      return x1.map((v, j) => v + m[j]!);
    });
  }
  return xs.map((x) => {
    const n = layerNorm(x, w['ln_f.weight']!, w['ln_f.bias']!, c.eps);
    return Array.from({ length: c.V }, (_, v) => n.reduce((a, ni, j) => a + ni * w['wte.weight']![v * c.C + j]!, 0));
  });
}
