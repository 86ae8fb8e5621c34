/**
 * A reverse pass that frees as it goes. tfjs 4.22's `tf.valueAndGrads` keeps, until its backward
 * ends, every intermediate gradient (each tensor's dy once used, each dx added into a sum) and every
 * tensor the forward saved for it: a full fine-tuning step of GPT-2 small climbed by about 90 MB a
 * block through the backward and died in the 4 GB wasm heap. Here, once a tape node's gradients are
 * computed, its outputs' gradients and what it saved are freed (its consumers, later on the tape,
 * have all contributed by then), so a backward holds about one block's gradients at a time. Same
 * ops in the same order as tfjs: the same values, bit for bit (test/gradients.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';

/** A node of tfjs's tape (tfjs-core's engine: one per kernel run while a gradient is recorded). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

/** What of tfjs 4.22's engine a gradient needs (tf.engine(): the calls engine.gradients makes). */
interface EngineTape {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
}

/** The nodes on a path from any of `xs` to `y`, their inputs cut to those that depend on `xs`. */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      nodeFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => toY.has(o.id))) {
      nodeToY.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  return tape
    .filter((n) => nodeFromX.has(n.id) && nodeToY.has(n.id))
    .map((n) => ({ ...n, inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))) }));
}

/** The value of `f` (a scalar) and its gradients with respect to `xs`, freeing what the backward is done with. */
export function valueAndGradsFreeing(f: () => tf.Scalar, xs: tf.Tensor[]): { value: tf.Scalar; grads: tf.Tensor[] } {
  const engine = tf.engine() as unknown as EngineTape;
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => tf.tidy('forward', f),
  );
  const tape = engine.state.activeTape ?? [];
  const nodes = nodesFromXsToY(tape, xs, y);
  if (nodes.length === 0) throw new Error('Cannot compute gradient of y=f(x) with respect to x: f does not use x');
  const outer = engine.state.gradientDepth === 0; // not inside another gradient: the tape is ours to free
  const xIds = new Set(xs.map((x) => x.id));
  return tf.tidy('backward', () => {
    const grad = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const dys = node.outputs.map((o) => grad.get(o.id) ?? null);
      const thunks = node.gradient(dys);
      for (const [name, x] of Object.entries(node.inputs)) {
        if (!(name in thunks)) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
        let dx = tf.tidy(() => thunks[name]!());
        if (dys.includes(dx) || node.saved?.includes(dx)) dx = tf.clone(dx); // its own handle: those are freed below
        if (dx.dtype !== 'float32') throw new Error(`Error in gradient for op ${node.kernelName}: the gradient of ${name} is ${dx.dtype}, not float32`);
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(`Error in gradient for op ${node.kernelName}: the gradient of ${name} has shape ${dx.shape}, its input ${x.shape}`);
        }
        const sum = grad.get(x.id);
        if (sum) {
          grad.set(x.id, tf.add(sum, dx));
          tf.dispose([sum, dx]);
        } else grad.set(x.id, dx);
      }
      for (const o of node.outputs) {
        if (xIds.has(o.id)) continue;
        grad.get(o.id)?.dispose();
        grad.delete(o.id);
      }
      if (outer) node.saved?.forEach((t) => t.dispose());
    }
    const grads = xs.map((x) => grad.get(x.id));
    if (grads.some((g) => g === undefined)) throw new Error('Cannot compute gradient of y=f(x) with respect to x: a gradient is missing');
    if (outer) {
      for (const node of tape) node.saved?.forEach((t) => t.dispose());
      engine.state.activeTape = null;
    }
    return { value: y, grads: grads as tf.Tensor[] };
  });
}
