/** Fused ops of the training step, each with its gradient: LayerNorm, GELU, causal attention, divergences, token NLL. */
import * as tf from '@tensorflow/tfjs-core';
import { type DivergenceChoice, divergenceCode, resolveDivergence } from '../divergences';
import { FUSED, runFused as run } from './switch';

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

/** The longest sequence the fused attention takes (beyond it the reference graph runs); its workgroup memory does not grow with T. */
export const MAX_FUSED_T = 4096;

/**
 * Causal multi-head self-attention on q, k, v [B·T, C] (heads side by side, as the projection
 * writes them) → [B·T, C], scale 1/√hd: one program forward, four backward.
 */
export function fusedAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, T: number, H: number): tf.Tensor2D {
  const C = q.shape[1];
  const attrs = { T, H, scale: 1 / Math.sqrt(C / H), C, W: C, qOff: 0, kOff: 0, vOff: 0 };
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q1, k1, v1, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const y = run(FUSED.attention, { q: q1, k: k1, v: v1 }, attrs); // [BT, C]
    save([q1, k1, v1, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [qs, ks, vs, ys] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const stats = run(FUSED.attentionStats, { q: qs, k: ks, y: ys, dy: dy as tf.Tensor }, attrs); // [B·H·T, 2]
        const inputs = { q: qs, k: ks, v: vs, dy: dy as tf.Tensor, stats };
        const grads = [FUSED.attentionGradQ, FUSED.attentionGradK, FUSED.attentionGradV].map((n) => run(n, inputs, attrs));
        stats.dispose();
        return grads;
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(q, k, v) as tf.Tensor2D;
}

/**
 * The same on the fused projection qkv [B·T, 3C] as it is (q, k, v its three column blocks): no
 * split forward, and the gradient written straight into one [B·T, 3C] tensor (no concat).
 */
export function fusedAttentionPacked(qkv: tf.Tensor2D, T: number, H: number): tf.Tensor2D {
  const C = qkv.shape[1] / 3;
  const attrs = { T, H, scale: 1 / Math.sqrt(C / H), C, W: 3 * C, qOff: 0, kOff: C, vOff: 2 * C };
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = run(FUSED.attention, { q: x, k: x, v: x }, attrs); // [BT, C]
    save([x, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ys] = saved as [tf.Tensor, tf.Tensor];
        const stats = run(FUSED.attentionStats, { q: xs, k: xs, y: ys, dy: dy as tf.Tensor }, attrs); // [B·H·T, 2]
        const inputs = { q: xs, k: xs, v: xs, dy: dy as tf.Tensor, stats };
        const packed = { ...attrs, packed: 1 };
        const dq = run(FUSED.attentionGradQ, inputs, packed); // [BT, 3C], columns 0…C so far
        const dqk = run(FUSED.attentionGradK, { ...inputs, into: dq }, packed); // in place: columns C…2C
        const dqkv = run(FUSED.attentionGradV, { ...inputs, into: dqk }, packed); // in place: columns 2C…3C
        tf.dispose([stats, dq, dqk]); // handles only: the buffer lives on in dqkv
        return [dqkv];
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(qkv) as tf.Tensor2D;
}

/** The program's number of a divergence and its mixture weight, with the table's degenerate cases (gjsd at β 0 / 1, skl at α 0). */
export function divergenceProgram(c: DivergenceChoice): { kind: number; w: number } {
  const { kind, w } = resolveDivergence(c);
  return { kind: divergenceCode(kind), w };
}

/**
 * D(p_T ‖ p_S) per position of logits [..., V] at temperature T, one program each way. The
 * teacher's logits are a constant here (no gradient flows to them): use it where the teacher is
 * frozen, as in distillation.
 */
export function fusedStudentDivergence(teacherLogits: tf.Tensor, studentLogits: tf.Tensor, o: DivergenceChoice & { temperature?: number }): tf.Tensor {
  const V = studentLogits.shape[studentLogits.rank - 1]!;
  const { kind, w } = divergenceProgram(o);
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
