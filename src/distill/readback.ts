/**
 * One GPU→CPU transfer per training step (docs/method.md, "What a step reads back"): every number a
 * step reports is added here, packed into one tensor, read back once, and handed back by the slot
 * its tensor was given.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Where one added tensor's values sit in the packed readback. */
export interface Slot {
  readonly offset: number;
  readonly size: number;
}

/** The values of one readback, by slot. */
export class ReadValues {
  constructor(private readonly flat: Float32Array) {}

  /** A slot's values, flattened. */
  get(slot: Slot): number[] {
    return Array.from(this.flat.subarray(slot.offset, slot.offset + slot.size));
  }

  /** A one-value slot's value. */
  scalar(slot: Slot): number {
    if (slot.size !== 1) throw new Error(`readback: a slot of ${slot.size} values read as a scalar`);
    return this.flat[slot.offset]!;
  }
}

export class Readback {
  private readonly parts: tf.Tensor[] = [];
  private size = 0;

  /** Adds a tensor; it is kept past any tf.tidy and freed by dispose(). */
  add(t: tf.Tensor): Slot {
    this.parts.push(tf.keep(t));
    const slot = { offset: this.size, size: t.size };
    this.size += t.size;
    return slot;
  }

  /** Reads every added tensor in one transfer. */
  async read(): Promise<ReadValues> {
    const packed = tf.tidy(() => tf.concat(this.parts.map((t) => tf.reshape(t, [-1]))));
    const flat = (await packed.data()) as Float32Array;
    packed.dispose();
    return new ReadValues(flat);
  }

  dispose(): void {
    tf.dispose(this.parts);
    this.parts.length = 0;
    this.size = 0;
  }
}
