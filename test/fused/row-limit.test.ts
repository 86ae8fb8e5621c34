/**
 * Every fused program past 65,535 workgroups (WebGPU's per-dimension dispatch limit). tfjs reshapes
 * a dispatch past the limit into [⌈√N⌉, ⌈√N⌉, 1]; a program that read only workgroup_id.x would
 * leave most rows unwritten (docs/webgpu-traps.md). The inputs are a few rows repeated past the
 * limit, so every output row must equal the reference graph's on those few rows (the reference
 * would be slow at this size on SwiftShader, and the reference decoder's matMul cannot be
 * dispatched at all). GELU and AdamW run a thread per item, which tfjs's own index spreads over y
 * correctly; they are here so that every program is.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { AdamW } from '../../src/distill/optim';
import { MAX_WORKGROUPS } from '../../src/engine/fused/program';
import { modelConfig } from '../../src/model/config';
import { makeDecoder } from '../../src/model/decoder';
import {
  divergenceProgram,
  fusedAttention,
  fusedRolloutChoice,
  fusedStudentDivergence,
  kernelSet,
  withKernels,
} from '../../src/model/fused';
import { divergence, tokenNll } from '../../src/model/losses';
import { sampleTokens } from '../../src/model/sampling';
import { gelu, layerNorm } from '../../src/model/transformer';
import { randomModel } from '../helpers';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

/** Distinct rows, repeated REPEAT times: ROWS = 70,000 rows, past the limit. */
const P = 7;
const REPEAT = 10_000;
const ROWS = P * REPEAT;

const normal = (shape: number[], seed: number, scale = 1) => tf.randomNormal(shape, 0, scale, 'float32', seed);
/** `t` repeated `times` times along its first axis. */
const repeat = (t: tf.Tensor, times = REPEAT) => tf.tile(t, [times, ...t.shape.slice(1).map(() => 1)]);

/** Every tensor `f` returns, read back, under the given kernels. */
async function values(set: 'fused' | 'reference', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  return withKernels(set, async () => {
    const ts = tf.tidy(f);
    const out = await Promise.all(ts.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(ts);
    return out;
  });
}

/** Largest relErr of `big` against `small` repeated to its length (`times` whole copies). */
function repeatedErr(big: Float32Array, small: Float32Array, times = REPEAT): number {
  expect(big.length).toBe(small.length * times);
  let m = 0;
  for (let k = 0; k < times; k++) m = Math.max(m, relErr(big.subarray(k * small.length, (k + 1) * small.length), small));
  return m;
}

type Outputs = (...xs: tf.Tensor[]) => tf.Tensor[];

/** `f` fused on the repeated inputs against the reference on the few rows, output by output. */
async function expectRepeated(names: string[], small: tf.Tensor[], f: Outputs, tol = 1e-4): Promise<void> {
  const big = small.map((t) => repeat(t));
  const ref = await values('reference', () => f(...small));
  const fused = await values('fused', () => f(...big));
  names.forEach((n, i) => expect(repeatedErr(fused[i]!, ref[i]!), n).toBeLessThan(tol));
  tf.dispose([...small, ...big]);
}

test(`LayerNorm forward, row statistics and dx over ${ROWS} rows of 8`, async () => {
  const ln = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => layerNorm(a, b, c, 1e-5);
  const [gain, bias] = [normal([8], 2), normal([8], 3)];
  await expectRepeated(['y', 'dx'], [normal([P, 8], 1, 2), normal([P, 8], 4)], (x, w) => [
    ln(x!, gain, bias),
    tf.grad((a: tf.Tensor) => tf.sum(tf.mul(ln(a, gain, bias), w!)))(x!),
  ]);
  tf.dispose([gain, bias]);
});

test(`GELU and its gradient over ${64 * ROWS} values (past 65,535 workgroups of 64)`, async () => {
  const f: Outputs = (x, w) => [gelu(x!), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gelu(a), w!)))(x!)];
  await expectRepeated(['y', 'dx'], [normal([64 * P], 5, 3), normal([64 * P], 6)], f, 1e-5);
});

test(`divergence (gjsd), token NLL and their gradients over ${ROWS} rows of 5 logits`, async () => {
  const dv = { kind: 'gjsd', temperature: 1.5, beta: 0.3 } as const;
  const y = tf.tensor1d([0, 4, 2, 1, 3, 3, 0], 'int32');
  const ys = repeat(y);
  // the fused divergence is the engine's op where the teacher is frozen; `divergence` is the reference graph
  const D = (t: tf.Tensor, s: tf.Tensor) =>
    kernelSet() === 'fused' ? fusedStudentDivergence(t, s, dv) : divergence(t, s, dv);
  const inputs = [normal([P, 5], 7, 3), normal([P, 5], 8, 3), normal([P], 9)];
  await expectRepeated(['D', 'dD/ds', 'NLL', 'd NLL'], inputs, (t, s, w) => {
    const targets = t!.shape[0] === P ? y : ys;
    return [
      D(t!, s!),
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(D(t!, x), w!)))(s!),
      tokenNll(s!, targets),
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tokenNll(x, targets), w!)))(s!),
    ];
  });
  tf.dispose([y, ys]);
});

test(`the rollout decision over ${ROWS} rows of 5 logits`, async () => {
  const dv = { kind: 'fkl', temperature: 1 } as const;
  const sampling = { greedy: false, temperature: 1, topK: 0, topP: 1 };
  const [lt, ls] = [normal([P, 5], 10, 3) as tf.Tensor2D, normal([P, 5], 11, 3) as tf.Tensor2D];
  const u = tf.randomUniform([P, 5], 1e-6, 1 - 1e-6, 'float32', 12) as tf.Tensor2D;
  const [d, prop] = await values('reference', () => [
    tf.relu(divergence(lt, ls, dv)),
    tf.cast(sampleTokens(ls, sampling, u), 'float32'),
  ]);
  const attrs = { ...divergenceProgram(dv), temperature: 1, sampleTemperature: 1, trigger: 0, tau: 1e9, topK: 0 };
  const [out] = await values('fused', () => [
    fusedRolloutChoice(repeat(lt) as tf.Tensor2D, repeat(ls) as tf.Tensor2D, repeat(u), attrs),
  ]);
  const col = (c: number) => Float32Array.from({ length: ROWS }, (_, b) => out![b * 4 + c]!);
  expect(repeatedErr(col(3), d!), 'd').toBeLessThan(1e-4);
  expect(repeatedErr(col(1), prop!), 'student sample').toBe(0);
  tf.dispose([lt, ls, u]);
});

test(`attention forward and gradients over ${ROWS} (b, h) tiles of 2 positions`, async () => {
  const [T, H, C] = [2, 5, 10];
  // A workgroup takes a tile of rows of one (b, h), here all T: B·H = ROWS workgroups.
  const [B, times] = [P, REPEAT / H];
  const reference = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
    const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [B, T, H, C / H]), [0, 2, 1, 3]);
    const mask = tf.tensor2d([0, -1e9, 0, 0], [T, T]);
    const att = tf.softmax(tf.add(tf.mul(tf.matMul(heads(a), heads(b), false, true), 1 / Math.sqrt(C / H)), mask));
    return tf.reshape(tf.transpose(tf.matMul(att, heads(c)), [0, 2, 1, 3]), [B * T, C]);
  };
  type Attend = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor;
  const withGrads = (attend: Attend, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, w: tf.Tensor) => [
    attend(q, k, v),
    ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attend(a, b, c), w)))([q, k, v]),
  ];
  const small = [1, 2, 3, 4].map((s) => normal([B * T, C], 20 + s, 1.5));
  const [q, k, v, w] = small as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const ref = await values('reference', () => withGrads(reference, q, k, v, w));
  const big = small.map((t) => repeat(t, times)) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const attend: Attend = (a, b, c) => fusedAttention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, T, H);
  const fused = await values('fused', () => withGrads(attend, ...big));
  ['y', 'dq', 'dk', 'dv'].forEach((n, i) => expect(repeatedErr(fused[i]!, ref[i]!, times), n).toBeLessThan(1e-4));
  tf.dispose([...small, ...big]);
});

test(`decoding (embed, block, head) for ${ROWS} sequences`, async () => {
  const cfg = modelConfig({ vocabSize: 5, nLayer: 1, nHead: 2, dModel: 8, dFF: 8, nPositions: 2, contextLength: 2, bias: true });
  const m = randomModel(cfg, 13);
  const prompt = tf.tensor2d([[1], [4], [0], [2], [3], [3], [1]], undefined, 'int32');
  const next = tf.tensor2d([[0], [1], [2], [3], [4], [2], [2]], undefined, 'int32');
  const run = (set: 'fused' | 'reference', times: number) =>
    withKernels(set, async () => {
      const [p, n] = [repeat(prompt, times), repeat(next, times)] as tf.Tensor2D[];
      const dec = makeDecoder(m, P * times, 1, 2);
      expect(dec.fused).toBe(set === 'fused');
      const out: Float32Array[] = [];
      for (const l of [dec.prefill(p!), dec.next(n!)]) {
        out.push(Float32Array.from(await l.data()));
        l.dispose();
      }
      tf.dispose([p!, n!]);
      dec.dispose();
      return out;
    });
  const ref = await run('reference', 1);
  const fused = await run('fused', REPEAT);
  ['prompt', 'next token'].forEach((n, i) => expect(repeatedErr(fused[i]!, ref[i]!), n).toBeLessThan(1e-4));
  tf.dispose([prompt, next, ...Object.values(m.weights)]);
});

test(`AdamW over a parameter of ${64 * ROWS} values (past 65,535 workgroups of 64)`, async () => {
  const [p0, g0] = [normal([P, 64], 30), normal([P, 64], 31)];
  const run = (set: 'fused' | 'reference', times: number) =>
    withKernels(set, async () => {
      // no clipping: the rows stay independent of one another
      const opt = new AdamW(['p'], { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, gradClip: 0 });
      const [p, g, loss] = [repeat(p0, times), repeat(g0, times), tf.scalar(1)];
      const r = opt.step({ p }, { p: g }, loss, 0.05);
      const out = [Float32Array.from(await r.params.p!.data()), Float32Array.from(await r.gradNorm.data())];
      tf.dispose([p, g, loss, r.params.p!, r.gradNorm, r.applied]);
      opt.dispose();
      return out;
    });
  const ref = await run('reference', 1);
  const fused = await run('fused', REPEAT);
  expect(repeatedErr(fused[0]!, ref[0]!), 'p').toBeLessThan(1e-5);
  expect(relErr(fused[1]!, [ref[1]![0]! * Math.sqrt(REPEAT)]), 'gradient norm').toBeLessThan(1e-4);
  tf.dispose([p0, g0]);
});
