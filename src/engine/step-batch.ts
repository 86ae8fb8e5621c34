/**
 * Step records cross the worker boundary as typed arrays: one Float64Array row of scalars per
 * step and one row per step of the per-layer series, transferred (not copied) to the page; only
 * the occasional extras (heat map, sample, effective rank) travel as plain objects. No tfjs here.
 */
import type { StepRecord } from '../distill/trainer';

/** The scalar columns, in packed order; null (τ without a schedule, memory fields off webgpu) travels as NaN. */
const SCALARS = ['step', 'loss', 'lossOut', 'lossLayer', 'lossCe', 'tau', 'onPolicy', 'interventionRate', 'lr', 'gradNorm', 'msPerStep', 'tokensPerSec', 'numTensors', 'numBytes', 'gpuBytesInUse', 'gpuBytesPooled'] as const;
const W = SCALARS.length;

export interface StepBatch {
  n: number;
  /** Student layers: the width of the per-layer rows (0 without a teacher). */
  layers: number;
  scalars: Float64Array; // [n, W]
  layerDivergence: Float64Array; // [n, layers]
  layerInterventionRate: Float64Array; // [n, layers]
  /** The rare fields, by row index. */
  extras: { i: number; heatmap?: StepRecord['heatmap']; sample?: StepRecord['sample']; effectiveRank?: StepRecord['effectiveRank'] }[];
}

const orNaN = (x: number | null | undefined) => (x === null || x === undefined ? NaN : x);

export function packSteps(records: StepRecord[]): StepBatch {
  const n = records.length;
  const layers = Math.max(0, ...records.map((r) => r.layerDivergence.length));
  const scalars = new Float64Array(n * W);
  const layerDivergence = new Float64Array(n * layers).fill(NaN);
  const layerInterventionRate = new Float64Array(n * layers).fill(NaN);
  const extras: StepBatch['extras'] = [];
  records.forEach((r, i) => {
    const m = r.memory;
    const row = [r.step, r.loss, r.lossOut, r.lossLayer, r.lossCe, orNaN(r.tau), r.onPolicy ? 1 : 0, r.interventionRate, r.lr, r.gradNorm, r.msPerStep, r.tokensPerSec, m.numTensors, m.numBytes, orNaN(m.gpuBytesInUse), orNaN(m.gpuBytesPooled)];
    scalars.set(row, i * W);
    layerDivergence.set(r.layerDivergence, i * layers);
    layerInterventionRate.set(r.layerInterventionRate, i * layers);
    if (r.heatmap || r.sample || r.effectiveRank) extras.push({ i, heatmap: r.heatmap, sample: r.sample, effectiveRank: r.effectiveRank });
  });
  return { n, layers, scalars, layerDivergence, layerInterventionRate, extras };
}

/** The buffers to transfer with a batch. */
export function transferables(b: StepBatch): ArrayBuffer[] {
  return [b.scalars.buffer, b.layerDivergence.buffer, b.layerInterventionRate.buffer] as ArrayBuffer[];
}

export function unpackSteps(b: StepBatch): StepRecord[] {
  const out: StepRecord[] = [];
  const rowOf = (a: Float64Array, i: number) => Array.from(a.subarray(i * b.layers, (i + 1) * b.layers)).filter((x) => !Number.isNaN(x));
  for (let i = 0; i < b.n; i++) {
    const v = b.scalars.subarray(i * W, (i + 1) * W);
    const memory: StepRecord['memory'] = { numTensors: v[12]!, numBytes: v[13]! };
    if (!Number.isNaN(v[14]!)) memory.gpuBytesInUse = v[14]!;
    if (!Number.isNaN(v[15]!)) memory.gpuBytesPooled = v[15]!;
    const r: StepRecord = {
      step: v[0]!,
      loss: v[1]!,
      lossOut: v[2]!,
      lossLayer: v[3]!,
      lossCe: v[4]!,
      tau: Number.isNaN(v[5]!) ? null : v[5]!,
      onPolicy: v[6] === 1,
      interventionRate: v[7]!,
      layerInterventionRate: rowOf(b.layerInterventionRate, i),
      layerDivergence: rowOf(b.layerDivergence, i),
      lr: v[8]!,
      gradNorm: v[9]!,
      msPerStep: v[10]!,
      tokensPerSec: v[11]!,
      memory,
    };
    out.push(r);
  }
  for (const x of b.extras) {
    const r = out[x.i]!;
    if (x.heatmap) r.heatmap = x.heatmap;
    if (x.sample) r.sample = x.sample;
    if (x.effectiveRank) r.effectiveRank = x.effectiveRank;
  }
  return out;
}
