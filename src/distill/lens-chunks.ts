/**
 * A logit-lens divergence computed a few rows at a time (docs/performance.md, "Memory at GPT-2
 * scale"). At a GPT-2 vocabulary a divergence over N positions keeps about sixteen [N, V] tensors
 * for its gradient (both sides' logits, log-softmaxes, mixtures, products) in every student layer:
 * 2.4 GiB at 127 positions and 6 layers. Here each layer keeps only D [N]: the forward computes D
 * chunk by chunk and frees each chunk's tensors, and the backward recomputes one chunk's forward at
 * a time to take its gradient (activation checkpointing), so vocabulary-wide memory is one chunk's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DivergenceOptions } from '../model/losses';
import { type Transformer, lmHead, withParams } from '../model/transformer';

/**
 * Values of one [rows, V] chunk: 1 Mi (4 MiB at float32), 20 rows at GPT-2's 50,257 tokens. A
 * chunk's divergence and its gradient peak at about 17 such tensors (measured: 272 MiB at 83 rows).
 */
export const LENS_CHUNK_VALUES = 1 << 20;

/** The head's tensors, through which a lens divergence also has a gradient where they are trained (ft). */
export const HEAD_WEIGHTS = ['lnf.weight', 'lnf.bias', 'wte.weight'] as const;

/** Rows per chunk at vocabulary size V. */
export const lensChunkRows = (vocab: number, values = LENS_CHUNK_VALUES): number => Math.max(1, Math.floor(values / vocab));

type Divergence = (teacherLogits: tf.Tensor, studentLogits: tf.Tensor, o: DivergenceOptions) => tf.Tensor;

/**
 * tf.grads from inside a custom gradient. tfjs 4.22's engine keeps one tape: a gradient taken while
 * an outer backward runs (gradient depth 0) replaces that tape and leaves it null at its end, so the
 * outer backward could no longer free what it saved. The outer tape is put back.
 */
function gradsInBackward(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
  const outer = state.activeTape;
  try {
    return tf.grads(f)(xs, dy);
  } finally {
    state.activeTape = outer;
  }
}

export interface LensChunks {
  /** Rows computed at a time. */
  rows: number;
  /** The student's head tensors that are trained (their gradients are taken too). */
  trainedHead: readonly string[];
}

/**
 * D(teacher lens, student lens) per position, relu'd by the caller as the unchunked path is:
 * student and teacher residual streams [B, T, C] → [B, T]. The teacher is a constant.
 */
export function chunkedLensDivergence(
  student: Transformer,
  studentHidden: tf.Tensor3D,
  teacher: Transformer,
  teacherHidden: tf.Tensor3D,
  o: DivergenceOptions,
  D: Divergence,
  chunks: LensChunks,
): tf.Tensor2D {
  const [B, T, C] = studentHidden.shape;
  const N = B * T;
  const starts = Array.from({ length: Math.ceil(N / chunks.rows) }, (_, i) => i * chunks.rows);
  const size = (r0: number) => Math.min(chunks.rows, N - r0);
  const rowsOf = (x: tf.Tensor, r0: number) => tf.slice(x, [r0, 0], [size(r0), C]) as tf.Tensor2D; // [n, C]
  const names = chunks.trainedHead;
  const t2 = tf.reshape(teacherHidden, [N, C]);
  // D of one chunk, from the student's rows and the trained head tensors (in `names` order).
  const chunkD = (t: tf.Tensor2D, s: tf.Tensor2D, head: tf.Tensor[]): tf.Tensor => {
    const m = head.length ? withParams(student, Object.fromEntries(names.map((n, i) => [n, head[i]!]))) : student;
    const n = s.shape[0];
    const lens = (model: Transformer, x: tf.Tensor2D) => lmHead(model, tf.reshape(x, [1, n, C]) as tf.Tensor3D); // [1, n, V]
    return tf.reshape(D(lens(teacher, t), lens(m, s), o), [n]); // [n]
  };
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [s2, ...head] = args as tf.Tensor[];
    save([s2!, t2, ...head]); // the teacher's rows are a constant: saved, not an input
    const value = tf.concat(starts.map((r0) => tf.tidy(() => chunkD(rowsOf(t2, r0), rowsOf(s2!, r0), head)))); // [N]
    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [s, t, ...h] = saved as [tf.Tensor, tf.Tensor, ...tf.Tensor[]];
      const dRows: tf.Tensor[] = [];
      let dHead = h.map((x) => tf.zerosLike(x));
      for (const r0 of starts) {
        const [dS, ...dH] = tf.tidy(() => {
          const tc = rowsOf(t, r0);
          const f = (sc: tf.Tensor, ...hc: tf.Tensor[]) => chunkD(tc, sc as tf.Tensor2D, hc);
          return gradsInBackward(f, [rowsOf(s, r0), ...h], tf.slice(dy as tf.Tensor, [r0], [size(r0)]));
        });
        dRows.push(dS!);
        const sum = dHead.map((a, i) => tf.add(a, dH[i]!));
        tf.dispose([...dHead, ...dH]);
        dHead = sum;
      }
      const dStudent = tf.concat(dRows);
      tf.dispose(dRows);
      return [dStudent, ...dHead];
    };
    return { value, gradFunc };
  }) as Parameters<typeof tf.customGrad>[0]);
  return tf.reshape(op(tf.reshape(studentHidden, [N, C]), ...names.map((n) => student.weights[n]!)), [B, T]) as tf.Tensor2D;
}
