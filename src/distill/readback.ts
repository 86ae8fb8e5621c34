/**
 * One GPU→CPU transfer per training step (design §6): every number a step reports is added here
 * by name, packed into one tensor, read back once, and split by name again on the CPU.
 */
import * as tf from '@tensorflow/tfjs-core';

export class Readback {
  private readonly parts: { name: string; t: tf.Tensor }[] = [];

  /** Adds a tensor under `name`; it is kept past any tf.tidy and freed by dispose(). */
  add(name: string, t: tf.Tensor): void {
    this.parts.push({ name, t: tf.keep(t) });
  }

  /** Reads every added tensor in one transfer: each name's values, flattened. */
  async read(): Promise<Record<string, number[]>> {
    const packed = tf.tidy(() => tf.concat(this.parts.map((p) => tf.reshape(p.t, [-1]))));
    const flat = (await packed.data()) as Float32Array;
    packed.dispose();
    const out: Record<string, number[]> = {};
    let off = 0;
    for (const p of this.parts) {
      out[p.name] = Array.from(flat.subarray(off, off + p.t.size));
      off += p.t.size;
    }
    return out;
  }

  dispose(): void {
    tf.dispose(this.parts.map((p) => p.t));
    this.parts.length = 0;
  }
}
