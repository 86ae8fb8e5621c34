/**
 * The whole engine on WebGPU, fused against reference: the same few training steps (their losses,
 * gradient norms and intervention rates) and the same evaluation for a gold method, a LoRA KD
 * method and STI + LoRA (rollouts, the decode cache, the decision program, fused AdamW across
 * steps). A trajectory test: a fused op that is right alone but wrong in the engine fails here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import type { Method } from '../../src/config/knobs';
import { prepareTrainer, disposePrepared } from '../../src/distill/run';
import { withKernels } from '../../src/model/fused';
import { MICRO, microConfig, microHost, trainSteps } from '../distill/fixtures';
import { onWebGPU, relErr } from './webgpu';

onWebGPU();

async function trajectory(set: 'fused' | 'reference', method: Method) {
  return withKernels(set, async () => {
    const run = await prepareTrainer(microConfig({ method, batchSize: 4, loraTargets: ['q', 'v', 'fc1'] }), microHost, MICRO);
    try {
      const steps = await trainSteps(run.trainer, 3);
      const ev = await run.trainer.evaluate(1);
      return { loss: steps.map((s) => s.loss), gradNorm: steps.map((s) => s.gradNorm), rate: steps.map((s) => s.interventionRate), perplexity: ev.perplexity, tau: run.trainer.schedule?.tau0 ?? 0 };
    } finally {
      disposePrepared(run);
    }
  });
}

test.each(['ft', 'kd-lora', 'sti-lora'] as const)('three steps of %s on webgpu: fused = reference', async (method) => {
  const ref = await trajectory('reference', method);
  const before = tf.memory().numTensors;
  const fused = await trajectory('fused', method);
  expect(tf.memory().numTensors, 'nothing leaks').toBe(before);
  expect(relErr(fused.loss, ref.loss), `losses ${fused.loss} vs ${ref.loss}`).toBeLessThan(1e-3);
  expect(relErr(fused.gradNorm, ref.gradNorm)).toBeLessThan(1e-3);
  expect(fused.rate).toEqual(ref.rate);
  expect(relErr([fused.perplexity, fused.tau], [ref.perplexity, ref.tau])).toBeLessThan(1e-3);
}, 300_000);
