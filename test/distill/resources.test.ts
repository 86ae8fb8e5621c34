/**
 * The resources table (paper-table --resources, the app's Paper view) on the micro preset: every
 * method measured in order, its peak broken into parts that add up to it with the exact sizes of
 * weights, gradients and moments; the teacher only where a KD method runs one; stopping leaks
 * nothing; and sti-lora's ratios against ft and lora as the Markdown shows them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { METHODS } from '../../src/config/knobs';
import { ResourcesCancelled, runResources } from '../../src/distill/resources';
import { type ResourcePlan, memoryBreakdown } from '../../src/protocol/resources';
import { resourcesMarkdown, stiRatios } from '../../src/report/resources';
import { microHost } from './fixtures';

const PLAN: ResourcePlan = { preset: 'tiny', steps: 1, batchSize: 4, decodeTokens: 4, decodeRuns: 1 };

test('eight rows in order; the parts are the exact sizes and add up to the measured peak; no tensor left', async () => {
  const before = tf.memory().numTensors;
  const rows = await runResources(PLAN, microHost);
  expect(rows.map((r) => r.method)).toEqual([...METHODS]);
  expect(tf.memory().numTensors).toBe(before);
  for (const r of rows) {
    const b = r.breakdown;
    expect(b.trainable, r.method).toBe(4 * r.trainableParams);
    expect(b.gradients, r.method).toBe(4 * r.trainableParams);
    expect(b.optimiser, r.method).toBe(8 * r.trainableParams);
    expect(b.frozen, r.method).toBe(4 * (r.totalParams - r.trainableParams));
    expect(b.teacher > 0, r.method).toBe(!['ft', 'lora'].includes(r.method)); // ft and lora learn from gold only
    expect(Object.values(b).reduce((x, y) => x + y, 0), r.method).toBe(r.peakBytes);
    expect(b.activations, `${r.method}: the step's activations are real`).toBeGreaterThan(0);
    expect(r.msPerToken).toBeGreaterThan(0);
    // Distinct buffers: each counted once, so at most the logical peak, and more than the weights alone.
    expect(r.bufferPeakBytes, r.method).toBeLessThanOrEqual(r.peakBytes);
    expect(r.bufferPeakBytes, r.method).toBeGreaterThan(b.teacher + b.trainable + b.optimiser);
  }
  const get = (m: string) => rows.find((r) => r.method === m)!;
  expect(get('ft').trainableParams).toBe(get('ft').totalParams); // all of the teacher-size model
  expect(get('sti-lora').trainableParams).toBeLessThan(get('lora').trainableParams); // the student's adapters
  const ratios = stiRatios(rows)!;
  expect(ratios.vsFt.params).toBeCloseTo(get('sti-lora').trainableParams / get('ft').trainableParams - 1, 12);
  expect(ratios.vsLora.memory).toBeCloseTo(get('sti-lora').peakBytes / get('lora').peakBytes - 1, 12);
  const md = resourcesMarkdown(rows);
  expect(md).toContain('| GPU memory vs full fine-tuning | −75% |');
  expect(md.split('\n').filter((l) => l.startsWith('| `')).length).toBe(8);
  expect(md).toContain('| peak MiB | distinct buffers MiB |');
  const byBuffers = get('sti-lora').bufferPeakBytes! / get('ft').bufferPeakBytes! - 1;
  expect(md).toMatch(new RegExp(`\\| GPU memory vs full fine-tuning, distinct buffers \\| −75% \\| ${byBuffers < 0 ? '−' : '\\+'}${Math.round(Math.abs(byBuffers) * 100)}% \\|`));
}, 120_000);

test('the breakdown of a peak: sizes at float32, the rest activations', () => {
  expect(memoryBreakdown({ trainableParams: 10, totalParams: 110, teacherParams: 200, peakBytes: 5000 })).toEqual({ teacher: 800, frozen: 400, trainable: 40, gradients: 40, optimiser: 80, activations: 5000 - 1360 });
});

test('stopping ends after the step under way, keeps the rows reported and leaks nothing', async () => {
  const before = tf.memory().numTensors;
  const seen: string[] = [];
  await expect(runResources(PLAN, microHost, { onRow: (r) => seen.push(r.method), cancelled: () => seen.length >= 2 })).rejects.toBeInstanceOf(ResourcesCancelled);
  expect(seen).toEqual(['ft', 'lora']);
  expect(tf.memory().numTensors).toBe(before);
}, 60_000);

test('a table without ft: sti-lora against lora, and no figure against the missing row', () => {
  const row = (method: 'lora' | 'sti-lora', trainableParams: number, peakBytes: number, msPerToken: number) => {
    const sizes = { trainableParams, totalParams: 1000, teacherParams: method === 'lora' ? 0 : 2000, peakBytes };
    return { method, ...sizes, breakdown: memoryBreakdown(sizes), msPerStep: 1, msPerToken };
  };
  const md = resourcesMarkdown([row('lora', 20, 100_000, 10), row('sti-lora', 10, 90_000, 8)]);
  expect(md).toContain('(this table has no `ft` row)');
  expect(md).toContain('| trainable parameters vs LoRA | −49% | −50% |');
  expect(md).toContain('| GPU memory vs LoRA | −30% | −10% |');
  expect(md).toContain('| inference time vs LoRA | −30% | −20% |');
  expect(md).toContain('| GPU memory vs full fine-tuning | −75% | — (no row) |');
  expect(stiRatios([row('lora', 20, 100_000, 10), row('sti-lora', 10, 90_000, 8)])).toBeNull(); // the app's view wants all three
});
