/**
 * The engine's kernel switch and the fused ops behind it. `reference` is tfjs's generic op graph
 * (every backend, the oracle of the parity tests); `fused` runs one custom GPU program where the
 * reference runs many, on backends where such a program is registered (src/engine/fused/ does it
 * for webgpu) and the reference elsewhere. Only tfjs-core here: the model stays pure math, and
 * the programs are found by kernel name.
 */
import * as tf from '@tensorflow/tfjs-core';

export const KERNEL_SETS = ['fused', 'reference'] as const;
export type KernelSet = (typeof KERNEL_SETS)[number];

/** Kernel names of the fused programs (registered per backend elsewhere). */
export const FUSED = {
  /** x [N, C], gain [C], bias [C] → y [N, C]; attrs {eps}. */
  layerNorm: 'KdLayerNorm',
  /** x [N, C] → [N, 2]: mean and 1/sqrt(var + eps) of every row; attrs {eps}. */
  layerNormStats: 'KdLayerNormStats',
  /** dy [N, C], x [N, C], gain [C], stats [N, 2] → dx [N, C]. */
  layerNormGradX: 'KdLayerNormGradX',
  /** dy [N, C], x [N, C], stats [N, 2] → d gain [C]. */
  layerNormGradGain: 'KdLayerNormGradGain',
  /** x [any] → GELU(x), tanh approximation. */
  gelu: 'KdGelu',
  /** dy, x [same shape] → dy · GELU'(x). */
  geluGrad: 'KdGeluGrad',
  /** x [M, K], w [K, N] → GELU(x·w) [M, N] (no gradient: decoding). */
  matMulGelu: 'KdMatMulGelu',
  /** lt, ls, u [B, V] → [B, 4]: a rollout token's [tok, prop, fire, d]; attrs RolloutChoiceAttrs. */
  rolloutChoice: 'KdRolloutChoice',
  /** cache [B, H, S_max, hd], x [B, W] → the cache with position `pos` set to x's C columns from `offset`, in place; attrs {pos, offset}. */
  cacheWrite: 'KdCacheWrite',
  /** q [B, W] (C columns from `offset`), keys and values [B, H, S_max, hd] → [B, C]: one query over the first `length`; attrs {length, scale, offset}. */
  decodeAttention: 'KdDecodeAttention',
  /** q, k, v [B·T, C] (heads side by side) → y [B·T, C]: causal attention; attrs {T, H, scale}. */
  attention: 'KdAttention',
  /** q, k, y, dy [B·T, C] → [B·H·T, 2]: each query row's log Σ exp(scores) and dy·y. */
  attentionStats: 'KdAttentionStats',
  /** q, k, v, dy [B·T, C], stats → dq, dk or dv [B·T, C]. */
  attentionGradQ: 'KdAttentionGradQ',
  attentionGradK: 'KdAttentionGradK',
  attentionGradV: 'KdAttentionGradV',
  /** teacher, student logits [N, V] → D [N]; attrs {kind (0 fkl … 4 tvd), temperature, w}. */
  divergence: 'KdDivergence',
  /** teacher, student logits [N, V], dy [N] → d student logits [N, V]. */
  divergenceGrad: 'KdDivergenceGrad',
  /** logits [N, V], targets int32 [N] → −log softmax(logits)[target] [N]. */
  tokenNll: 'KdTokenNll',
  /** logits [N, V], targets [N], dy [N] → d logits [N, V]. */
  tokenNllGrad: 'KdTokenNllGrad',
  /** g [any] → [1]: Σ g². */
  sumSquares: 'KdSumSquares',
  /** p, g [any], state [3, n] | dummy, control [2] → [3, n]: AdamW's new p, m, v; attrs AdamWAttrs. */
  adamW: 'KdAdamW',
} as const;

/** Fused by default: where no program is registered (cpu, wasm, webgl) the reference runs anyway. */
let active: KernelSet = 'fused';

export function setKernels(k: KernelSet): void {
  active = k;
}

export function kernelSet(): KernelSet {
  return active;
}

/** True where fused kernel `name` runs now: the fused set is on and the active backend has it. */
export function fusedHere(name: string): boolean {
  return active === 'fused' && tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Runs the kernels of `set` for the duration of `work` (tests and benchmarks compare the two). */
export function withKernels<T>(set: KernelSet, work: () => T): T {
  const before = active;
  active = set;
  try {
    return work();
  } finally {
    active = before;
  }
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, number> = {}) =>
  tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;

/**
 * LayerNorm over the last axis in one program forward and four backward (row statistics, dx, the
 * gain's gradient, and the bias's as one sum), where the reference takes about 8 and 20.
 */
export function fusedLayerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const C = x.shape[x.rank - 1]!;
  // tf.customGrad's type takes (...inputs, save); its inputs here are x [N, C], gain, bias.
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x2, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([x2, g]);
    return {
      value: run(FUSED.layerNorm, { x: x2, gain: g, bias: b }, { eps }), // [N, C]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, gs] = saved as [tf.Tensor, tf.Tensor];
        const stats = run(FUSED.layerNormStats, { x: xs }, { eps }); // [N, 2]
        const dx = run(FUSED.layerNormGradX, { dy: dy as tf.Tensor, x: xs, gain: gs, stats }); // [N, C]
        const dg = run(FUSED.layerNormGradGain, { dy: dy as tf.Tensor, x: xs, stats }); // [C]
        const db = tf.sum(dy as tf.Tensor, 0); // [C]
        stats.dispose();
        return [dx, dg, db];
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return tf.reshape(op(tf.reshape(x, [-1, C]), gain, bias), x.shape);
}

/** GELU (tanh approximation) in one program, its gradient in one more (the reference: ~8 and ~15). */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x1, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x1]);
    return {
      value: run(FUSED.gelu, { x: x1 }),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [run(FUSED.geluGrad, { dy: dy as tf.Tensor, x: saved[0]! })],
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}

/** How a rollout token is chosen, as numbers for the program (see fusedRolloutChoice). */
export interface RolloutChoiceAttrs {
  /** 0 fkl, 1 rkl, 2 gjsd, 3 skl, 4 tvd. */
  kind: 0 | 1 | 2 | 3 | 4;
  /** Divergence temperature. */
  temperature: number;
  /** The mixture's teacher weight: gjsd's β, skl's α (unused otherwise). */
  w: number;
  /** Sampling temperature of the Gumbel-max draws. */
  sampleTemperature: number;
  /** 0 threshold (d ≥ τ), 1 topk (the student's token outside the teacher's top K), 2 none. */
  trigger: 0 | 1 | 2;
  tau: number;
  topK: number;
}

/**
 * One rollout token's decision in one program: teacher logits lt, student logits ls and uniform
 * noise u, all [B, V], give [B, 4] rows [token taken, student's token, 1 if the teacher's was
 * taken, divergence]. No gradient: rollouts are sampled, not differentiated.
 */
export function fusedRolloutChoice(lt: tf.Tensor2D, ls: tf.Tensor2D, u: tf.Tensor2D, attrs: RolloutChoiceAttrs): tf.Tensor2D {
  return run(FUSED.rolloutChoice, { lt, ls, u }, attrs as unknown as Record<string, number>) as tf.Tensor2D;
}

/** The longest preallocated cache the decode programs take (their scores sit in workgroup memory). */
export const MAX_FUSED_CACHE = 4096;

/** True where decoding can use a preallocated cache: both decode programs are registered and on. */
export function fusedDecoding(capacity: number): boolean {
  return capacity <= MAX_FUSED_CACHE && fusedHere(FUSED.cacheWrite) && fusedHere(FUSED.decodeAttention);
}

/**
 * Writes C = H·hd columns of x [B, W] from `offset` (heads side by side: x is [B, C], or the fused
 * projection [B, 3C] with offset C for keys, 2C for values) at position `pos` of cache
 * [B, H, S_max, hd] in place, and returns the cache (sharing its buffer): the tensor passed in
 * must not be read afterwards.
 */
export function fusedCacheWrite(cache: tf.Tensor4D, x: tf.Tensor2D, pos: number, offset = 0): tf.Tensor4D {
  return run(FUSED.cacheWrite, { cache, x }, { pos, offset }) as tf.Tensor4D;
}

/** Causal attention of one new query (C columns of q [B, W] from `offset`) over the first `length` cached positions → [B, C]. */
export function fusedDecodeAttention(q: tf.Tensor2D, keys: tf.Tensor4D, values: tf.Tensor4D, length: number, scale: number, offset = 0): tf.Tensor2D {
  return run(FUSED.decodeAttention, { q, k: keys, v: values }, { length, scale, offset }) as tf.Tensor2D;
}

/** Σ g² of one tensor in one program → [1]. */
export function fusedSumSquares(g: tf.Tensor): tf.Tensor1D {
  return run(FUSED.sumSquares, { g }) as tf.Tensor1D;
}

export interface AdamWAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  /** Bias corrections 1 − β1^t, 1 − β2^t. */
  bc1: number;
  bc2: number;
  eps: number;
  /** Decoupled weight decay of this parameter (0 for gains and biases). */
  decay: number;
}

/**
 * One AdamW update of one parameter in one program: p and g of the parameter's shape, the
 * previous [3, n] result (null at the first step: zero moments), control [2] = (clip scale, 1 if
 * the step is finite). Returns [3, n]: rows p', m', v' (= p, m, v where the step is not finite).
 */
export function fusedAdamW(p: tf.Tensor, g: tf.Tensor, state: tf.Tensor2D | null, control: tf.Tensor1D, attrs: AdamWAttrs): tf.Tensor2D {
  return tf.tidy(() => {
    const s = state ?? tf.zeros([1, 1]);
    return run(FUSED.adamW, { p, g, state: s, control }, { ...attrs, first: state ? 0 : 1 } as unknown as Record<string, number>) as tf.Tensor2D;
  });
}

/** The longest sequence the fused attention takes (a row's scores sit in workgroup memory). */
export const MAX_FUSED_T = 4096;

/**
 * Causal multi-head self-attention on q, k, v [B·T, C] (heads side by side, as the projection
 * writes them) → [B·T, C], scale 1/√hd: one program forward, four backward.
 */
export function fusedAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, T: number, H: number): tf.Tensor2D {
  const attrs = { T, H, scale: 1 / Math.sqrt(q.shape[1] / H) };
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q1, k1, v1, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const y = run(FUSED.attention, { q: q1, k: k1, v: v1 }, attrs); // [BT, C]
    save([q1, k1, v1, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [qs, ks, vs, ys] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const d = dy as tf.Tensor;
        const stats = run(FUSED.attentionStats, { q: qs, k: ks, y: ys, dy: d }, attrs); // [B·H·T, 2]
        const inputs = { q: qs, k: ks, v: vs, dy: d, stats };
        const grads = [FUSED.attentionGradQ, FUSED.attentionGradK, FUSED.attentionGradV].map((n) => run(n, inputs, attrs));
        stats.dispose();
        return grads;
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(q, k, v) as tf.Tensor2D;
}

/** The program's number for a divergence, with the reference's special cases (gjsd at β 0 / 1, skl at α 0). */
export function divergenceKind(kind: string, beta: number, alpha: number): { kind: 0 | 1 | 2 | 3 | 4; w: number } {
  if (kind === 'fkl' || (kind === 'gjsd' && beta === 0) || (kind === 'skl' && alpha === 0)) return { kind: 0, w: 0.5 };
  if (kind === 'rkl' || (kind === 'gjsd' && beta === 1)) return { kind: 1, w: 0.5 };
  if (kind === 'gjsd') return { kind: 2, w: beta };
  if (kind === 'skl') return { kind: 3, w: alpha };
  if (kind === 'tvd') return { kind: 4, w: 0.5 };
  throw new Error(`fused divergence: unknown kind ${JSON.stringify(kind)}`);
}

/**
 * D(p_T ‖ p_S) per position of logits [..., V] at temperature T, one program each way. The
 * teacher's logits are a constant here (no gradient flows to them): use it where the teacher is
 * frozen, as in distillation.
 */
export function fusedStudentDivergence(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, o: { kind: string; temperature?: number; beta?: number; alpha?: number }): tf.Tensor {
  const V = studentLogits.shape[studentLogits.rank - 1]!;
  const { kind, w } = divergenceKind(o.kind, o.beta ?? 0.5, o.alpha ?? 0.1);
  const attrs = { kind, w, temperature: o.temperature ?? 1 };
  const tl = tf.reshape(teacherLogits, [-1, V]);
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [sl, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([sl]);
    return {
      value: run(FUSED.divergence, { tl, sl }, attrs), // [N]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [run(FUSED.divergenceGrad, { tl, sl: saved[0]!, dy: dy as tf.Tensor }, attrs)],
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return tf.reshape(op(tf.reshape(studentLogits, [-1, V])), studentLogits.shape.slice(0, -1));
}

/** −log softmax(logits)[target] per position: logits [..., V], int32 targets [...] → [...]. */
export function fusedTokenNll(logits: tf.Tensor, targets: tf.Tensor): tf.Tensor {
  const V = logits.shape[logits.rank - 1]!;
  const y = tf.reshape(tf.cast(targets, 'int32'), [-1]);
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x]);
    return {
      value: run(FUSED.tokenNll, { x, y }),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [run(FUSED.tokenNllGrad, { x: saved[0]!, y, dy: dy as tf.Tensor })],
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return tf.reshape(op(tf.reshape(logits, [-1, V])), logits.shape.slice(0, -1));
}

/** GELU(x·w) in one program, x [M, K], w [K, N] → [M, N]. No gradient: for decoding. */
export function fusedMatMulGelu(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return run(FUSED.matMulGelu, { x, w }) as tf.Tensor2D;
}
