/** The page's metric buffers: per-position series are kept on the newest step and the heat-map steps only. */
import { expect, test } from 'vitest';
import type { StepRecord } from '../../src/protocol/records';
import { appendSteps, clearMetrics, metrics } from '../../src/state/metrics';

const step = (i: number, heat: boolean): StepRecord => ({
  step: i, loss: 1, lossOut: 1, lossLayer: 0, lossCe: 0, tau: 0.5, onPolicy: true, interventionRate: 0.5, layerInterventionRate: [], layerDivergence: [],
  lr: 1e-3, gradNorm: 1, msPerStep: 1, tokensPerSec: 1, memory: { numTensors: 1, numBytes: 1 },
  tauByPosition: [0.5, 0.45], interventionByPosition: [0, 1], divergenceByPosition: [0.2, 0.7],
  ...(heat ? { heatmap: { layers: 1, positions: 2, values: [0, 1] } } : {}),
});

test('appended steps keep their per-position series on the newest step and on heat-map steps, across batches', () => {
  clearMetrics();
  appendSteps([step(0, true), step(1, false), step(2, false)]);
  appendSteps([step(3, false), step(4, false)]);
  const kept = metrics.steps.map((s) => [s.step, s.tauByPosition !== undefined, s.interventionByPosition !== undefined, s.divergenceByPosition !== undefined]);
  expect(kept).toEqual([[0, true, true, true], [1, false, false, false], [2, false, false, false], [3, false, false, false], [4, true, true, true]]);
  expect(metrics.steps.map((s) => s.interventionRate)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);
  clearMetrics();
});
