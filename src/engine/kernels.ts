/**
 * Kernels that a tfjs backend lacks, written in JavaScript over the backend's own buffers. Only
 * for CPU-memory backends (wasm): readSync there is a copy, not a GPU round trip.
 *
 * UnsortedSegmentSum is the gradient of gather (the token embedding); tfjs-backend-wasm 4.22.0
 * has no kernel for it, so training could not run on wasm without this one.
 */
import * as tf from '@tensorflow/tfjs-core';

type Info = { dataId: object; shape: number[]; dtype: tf.DataType };
interface SyncBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
}

export function registerUnsortedSegmentSum(backendName: string): void {
  if (tf.getKernel('UnsortedSegmentSum', backendName)) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as unknown as { x: Info; segmentIds: Info };
      const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
      const b = backend as unknown as SyncBackend;
      const xv = b.readSync(x.dataId) as Float32Array;
      const ids = b.readSync(segmentIds.dataId) as Int32Array;
      const inner = xv.length / Math.max(ids.length, 1);
      const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
      const out = new Float32Array(numSegments * inner);
      for (let i = 0; i < ids.length; i++) {
        const s = ids[i]!;
        if (s < 0 || s >= numSegments) continue;
        for (let j = 0; j < inner; j++) out[s * inner + j]! += xv[i * inner + j]!;
      }
      return { dataId: b.write(out, outShape, x.dtype), shape: outShape, dtype: x.dtype } as tf.TensorInfo;
    },
  });
}

interface RefCounted {
  incRef(dataId: object): void;
}

/**
 * Identity (tf.clone) sharing its input's buffer, as tfjs's cpu and webgpu backends do: tfjs-backend-wasm
 * 4.22.0 copies it, and a gradient's tape clones every tensor the backward needs — every weight matrix the
 * forward multiplies — so a GPT-2-small step held a second copy of its weights (0.5 GB of a 4 GB heap), and
 * the student cut from the teacher a copy of the teacher's blocks. Tensors are immutable in tfjs, so sharing
 * is safe; the backend counts references (its Reshape shares the same way). Strings keep wasm's own kernel.
 */
export function registerSharedIdentity(backendName: string): void {
  const own = tf.getKernel('Identity', backendName);
  if (!own || (own as { shared?: true }).shared) return;
  tf.unregisterKernel('Identity', backendName);
  tf.registerKernel({
    kernelName: 'Identity',
    backendName,
    kernelFunc: (args) => {
      const x = (args.inputs as unknown as { x: Info }).x;
      if (x.dtype === 'string') return own.kernelFunc(args);
      (args.backend as unknown as RefCounted).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype } as tf.TensorInfo;
    },
    shared: true,
  } as tf.KernelConfig);
}
