/**
 * What the fused programs share (src/engine/fused/program.ts), without a GPU: dispatches that stay
 * within WebGPU's 65,535 workgroups a dimension, uniforms declared once, and the errors a shape that
 * cannot be dispatched or bound gets, naming the kernel and the shapes (a fake backend stands in).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { registerFusedKernels } from '../../src/engine/fused';
import {
  MAX_WORKGROUPS,
  type Program,
  declareUniforms,
  perItem,
  perRow,
  rowThreads,
  spreadWorkgroups,
} from '../../src/engine/fused/program';
import { FUSED } from '../../src/model/fused';

test('workgroups spread over x, then y, never past the limit; past 65,535² an error', () => {
  expect(spreadWorkgroups(1, 'one')).toEqual([1, 1, 1]);
  expect(spreadWorkgroups(0, 'none')).toEqual([1, 1, 1]);
  expect(spreadWorkgroups(MAX_WORKGROUPS, 'full')).toEqual([MAX_WORKGROUPS, 1, 1]);
  expect(spreadWorkgroups(MAX_WORKGROUPS + 1, 'one more')).toEqual([MAX_WORKGROUPS, 2, 1]);
  expect(spreadWorkgroups(70_000, 'seventy thousand')).toEqual([MAX_WORKGROUPS, 2, 1]);
  expect(spreadWorkgroups(MAX_WORKGROUPS ** 2, 'all')).toEqual([MAX_WORKGROUPS, MAX_WORKGROUPS, 1]);
  expect(() => spreadWorkgroups(MAX_WORKGROUPS ** 2 + 1, 'many')).toThrow(/many: 4294836226 workgroups, past the 65535²/);
  expect(perRow(70_000, 64)).toEqual({ dispatchLayout: { x: [0] }, dispatch: [MAX_WORKGROUPS, 2, 1], workgroupSize: [64, 1, 1] });
  expect(perItem(64 * 70_000).dispatch).toEqual([MAX_WORKGROUPS, 2, 1]);
  expect(() => perItem(2 ** 31)).toThrow(/i32 index/);
});

test('threads per row: the width rounded up to a power of two, from 8 to the maximum', () => {
  expect([1, 5, 8, 9, 37, 64, 65, 768, 50_257].map((w) => rowThreads(w, 64))).toEqual([8, 8, 8, 16, 64, 64, 64, 64, 64]);
  expect(rowThreads(100, 128)).toBe(128);
});

test('uniforms declared once: the WGSL fields and the values in one order, a missing value refused', () => {
  const u = declareUniforms({ eps: 'f32', count: 'i32', scale: 'f32' });
  expect(u.wgsl).toBe('eps : f32, count : i32, scale : f32,');
  expect(u.values({ scale: 0.5, eps: 1e-5, count: 3 })).toEqual([
    { type: 'float32', data: [1e-5] },
    { type: 'int32', data: [3] },
    { type: 'float32', data: [0.5] },
  ]);
  const missing = { eps: 1, count: 2 } as unknown as { eps: number; count: number; scale: number };
  expect(() => u.values(missing)).toThrow(/uniform scale is undefined/);
});

/** A backend that records the programs it is asked to run, with a binding limit of `limit` bytes. */
function fakeBackend(limit: number) {
  const runs: Program[] = [];
  return {
    runs,
    backend: {
      device: { limits: { maxStorageBufferBindingSize: limit } },
      incRef: () => {},
      runWebGPUProgram: (program: Program) => {
        runs.push(program);
        return { dataId: {}, shape: program.outputShape, dtype: 'float32' };
      },
    },
  };
}

const info = (shape: number[]) => ({ dataId: {}, shape, dtype: 'float32' as const });

type Inputs = Record<string, ReturnType<typeof info>>;

function runKernel(name: string, inputs: Inputs, attrs: Record<string, number>, limit = 2 ** 30) {
  registerFusedKernels();
  const kernel = tf.getKernel(name, 'webgpu');
  if (!kernel) throw new Error(`${name} is not registered`);
  const fake = fakeBackend(limit);
  kernel.kernelFunc({ inputs, backend: fake.backend as unknown as tf.KernelBackend, attrs });
  return fake.runs;
}

test('a workgroup per row, spread over y; a shape that cannot be dispatched or bound is named', () => {
  const [run] = runKernel(FUSED.layerNorm, { x: info([70_000, 8]), gain: info([8]), bias: info([8]) }, { eps: 1e-5 });
  expect(run!.dispatch).toEqual([MAX_WORKGROUPS, 2, 1]);
  expect(run!.workgroupSize).toEqual([8, 1, 1]);
  // GPT-2's head at batch 84: 84 · ⌈50,257 / 64⌉ = 66,024 workgroups
  const gpt2 = { state: info([84, 800]), gain: info([768]), bias: info([768]), wte: info([50_257, 768]) };
  const [head] = runKernel(FUSED.decodeHead, gpt2, { xOffset: 0, eps: 1e-5 });
  expect(head!.dispatch).toEqual([MAX_WORKGROUPS, 2, 1]);
  const rows = MAX_WORKGROUPS ** 2 + 1;
  expect(() => runKernel(FUSED.tokenNll, { x: info([rows, 2]), y: info([rows]) }, {})).toThrow(
    /^KdTokenNll on x \[4294836226,2\], y \[4294836226\]: 4294836226 rows: 4294836226 workgroups, past/,
  );
  expect(() => runKernel(FUSED.gelu, { x: info([1024, 1024]) }, {}, 4 * 1024 * 1024 - 1)).toThrow(
    /^KdGelu on x \[1024,1024\]: input xs \[1024,1024\] is 4194304 bytes, past this device's maxStorageBufferBindingSize of 4194303/,
  );
});
