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
