/**
 * Golden trajectory (llm.c style): sti-lora on the micro task at fixed seeds; the first 10 losses
 * must match the stored values within 1e-4 on the cpu backend. If the math changes on purpose,
 * regenerate with GOLDEN_PRINT=1 and say why in the commit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { Trainer } from '../../src/distill/trainer';
import { MICRO_DATA, microBase, microConfig, microTeacher, trainSteps } from './fixtures';

// Generated on the cpu backend, tfjs 4.22.0, with the threshold along the response (τ0 = 0.2 nats of jsd, λ = 0.1).
const GOLDEN: number[] = [
  1.4014108180999756, 1.3950634002685547, 1.1969611644744873, 0.8370577692985535, 0.7237889170646667, 0.7326993942260742,
  0.5382092595100403, 0.6210593581199646, 0.5499990582466125, 0.6930880546569824,
];

test('sti-lora: the first 10 losses match the stored trajectory', async () => {
  const teacher = microTeacher();
  const base = microBase();
  const trainer = await Trainer.create(microConfig({ method: 'sti-lora', steps: 10, loraDropout: 0.1 }), MICRO_DATA, base, teacher);
  const losses: number[] = [];
  const rates: number[] = [];
  for (const r of await trainSteps(trainer, 10)) {
    losses.push(r.loss);
    rates.push(r.interventionRate);
  }
  if (process.env.GOLDEN_PRINT) console.log(JSON.stringify(losses));
  console.log(`sti-lora golden: losses ${losses.map((x) => x.toFixed(5)).join(' ')}; intervention ${rates.map((x) => x.toFixed(2)).join(' ')}`);
  expect(losses).toHaveLength(GOLDEN.length);
  losses.forEach((x, i) => expect(Math.abs(x - GOLDEN[i]!), `step ${i}: ${x} vs ${GOLDEN[i]}`).toBeLessThan(1e-4));
  // The trajectory exercises the intervention: some but not all tokens replaced.
  expect(rates.some((r) => r > 0 && r < 1)).toBe(true);
  trainer.dispose();
  tf.dispose([...Object.values(teacher.weights), ...Object.values(base.weights)]);
});
