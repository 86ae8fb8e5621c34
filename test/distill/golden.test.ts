/**
 * Golden trajectory (llm.c style): sti-lora on the micro task at fixed seeds; the first 10 losses
 * must match the stored values within 1e-4 on the cpu backend. If the math changes on purpose,
 * regenerate with GOLDEN_PRINT=1 and say why in the commit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { Trainer } from '../../src/distill/trainer';
import { MICRO_DATA, microBase, microConfig, microTeacher, trainSteps } from './fixtures';

// Generated on the cpu backend, tfjs 4.22.0.
const GOLDEN: number[] = [
  1.2707127332687378, 1.4082797765731812, 1.1774630546569824, 0.8492417335510254, 0.7238104939460754, 0.7644967436790466,
  0.5899659991264343, 0.4876999855041504, 0.5882933139801025, 0.6494834423065186,
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
