/**
 * Bytes of distinct tensor buffers. tfjs's `memory().numBytes`, and so `tf.profile`'s peak, count
 * every tensor object, while tensors often share one buffer: a clone (the student's blocks cut from
 * the teacher share its weights; a gradient's tape saves clones of what the backward needs), a
 * reshape. The ledger counts each buffer once by watching where tfjs-core 4.22's engine registers and
 * drops them (`engine.state.tensorInfo`: one entry per data id, set with its bytes when the first
 * tensor on it is tracked, deleted when the backend frees it). Installed before the first tensor,
 * `live` is the bytes of every buffer there is.
 */
import * as tf from '@tensorflow/tfjs-core';

interface BufferInfo {
  bytes: number;
}

/** The engine's map of buffers (a WeakMap keyed by data id), as far as the ledger uses it. */
interface BufferMap {
  get(id: object): BufferInfo | undefined;
  has(id: object): boolean;
  set(id: object, info: BufferInfo): BufferMap;
  delete(id: object): boolean;
}

interface EngineBuffers {
  state: { tensorInfo: BufferMap; numDataBuffers: number };
}

export interface BufferLedger {
  /** Bytes of the buffers alive now (of those registered since install, and all of them when `complete`). */
  live: number;
  /** The most `live` has been since the last reset (see bufferPeak). */
  peak: number;
  /** Installed before any buffer existed: `live` counts them all. */
  complete: boolean;
}

const LEDGER = Symbol('buffer ledger');

/** The engine's ledger, installed on first call (again after tf.engine().reset(), which replaces the engine's state). */
export function bufferLedger(): BufferLedger {
  const state = (tf.engine() as unknown as EngineBuffers).state;
  const installed = (state.tensorInfo as BufferMap & { [LEDGER]?: BufferLedger })[LEDGER];
  if (installed) return installed;
  const base = state.tensorInfo;
  const ledger: BufferLedger = { live: 0, peak: 0, complete: state.numDataBuffers === 0 };
  const map: BufferMap & { [LEDGER]: BufferLedger } = {
    [LEDGER]: ledger,
    get: (id) => base.get(id),
    has: (id) => base.has(id),
    set(id, info) {
      if (!base.has(id)) {
        ledger.live += info.bytes;
        ledger.peak = Math.max(ledger.peak, ledger.live);
      }
      base.set(id, info);
      return map;
    },
    delete(id) {
      const info = base.get(id);
      if (info) ledger.live -= info.bytes;
      return base.delete(id);
    },
  };
  state.tensorInfo = map;
  return ledger;
}

/**
 * The peak bytes of distinct buffers while `work` runs, everything alive included; null where the
 * ledger was installed after buffers existed (its figures would leave those out).
 */
export async function bufferPeak(work: () => Promise<unknown>): Promise<number | null> {
  const ledger = bufferLedger();
  ledger.peak = ledger.live;
  await work();
  return ledger.complete ? ledger.peak : null;
}
