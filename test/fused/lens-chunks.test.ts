/** Lens divergences in chunks of rows on WebGPU, fused: the reference whole-tensor path's values and gradients. */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { layerDivergences } from '../../src/distill/layers';
import { HEAD_WEIGHTS } from '../../src/distill/lens-chunks';
import { FUSED, fusedHere, withKernels } from '../../src/model/fused';
import { forward, valueAndGrads } from '../../src/model/transformer';
import { randomModel, tinyConfig } from '../helpers';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

test('fused, 3 rows at a time = reference, whole: D and the gradients of blocks and head', async () => {
  const teacher = randomModel(tinyConfig({ vocabSize: 37, nLayer: 4 }), 31);
  const student = randomModel(tinyConfig({ vocabSize: 37, nLayer: 2 }), 32);
  const ids = tf.tensor2d([[1, 5, 9, 2, 30], [3, 3, 8, 36, 0]], undefined, 'int32'); // 10 positions
  const names = ['h.0.mlp.fc1.weight', ...HEAD_WEIGHTS];
  const w = tf.randomUniform([2, 2, 5], 0.5, 1.5, 'float32', 7);
  const run = async (rows: number) => {
    const r = tf.tidy(() => {
      const th = forward(teacher, ids, { returnHidden: true }).hidden!;
      let D!: tf.Tensor;
      const { grads } = valueAndGrads(student, names, (m) => {
        D = tf.keep(layerDivergences(m, forward(m, ids, { returnHidden: true }).hidden!, teacher, th, { kind: 'jsd' }, { kind: 'jsd' }, { rows, trainedHead: HEAD_WEIGHTS }).loss);
        return tf.sum(tf.mul(D, w)) as tf.Scalar;
      });
      return [D, ...names.map((n) => grads[n]!)];
    });
    const out = await Promise.all(r.map((t) => t.data()));
    tf.dispose(r);
    return out;
  };
  expect(fusedHere(FUSED.divergence)).toBe(true);
  const ref = await withKernels('reference', () => run(10));
  const fused = await run(3);
  ['D', ...names].forEach((n, i) => expect(relErr(fused[i]!, ref[i]!), n).toBeLessThan(1e-4));
});
