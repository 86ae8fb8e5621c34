/**
 * Step records cross the worker boundary as typed arrays: one Float64Array row of scalars per
 * step and one row per step of the per-layer series, transferred (not copied) to the page; only
 * the occasional extras (heat map, sample, effective rank) and the per-position series of
 * on-policy steps travel as plain objects. The scalar columns are one table, and so are the
 * extras: packing and unpacking both walk them. No tfjs here.
 */
import type { StepRecord } from './records';

/** A scalar column: how to read it off a record and write it back; null and absent travel as NaN. */
interface Column {
  name: string;
  get(r: StepRecord): number;
  set(r: StepRecord, v: number): void;
}

type NumberKey = { [K in keyof StepRecord]-?: StepRecord[K] extends number ? K : never }[keyof StepRecord];
type OptionalNumberKey = {
  [K in keyof StepRecord]-?: undefined extends StepRecord[K] ? (NonNullable<StepRecord[K]> extends number ? K : never) : never;
}[keyof StepRecord];
type MemoryKey = keyof StepRecord['memory'];

const num = (key: NumberKey): Column => ({ name: key, get: (r) => r[key], set: (r, v) => void (r[key] = v) });
/** A number that only some records have: absent travels as NaN. */
const optionalNum = (key: OptionalNumberKey): Column => ({
  name: key,
  get: (r) => r[key] ?? NaN,
  set: (r, v) => {
    if (!Number.isNaN(v)) r[key] = v;
  },
});
const memory = (key: MemoryKey, optional: boolean): Column => ({
  name: `memory.${key}`,
  get: (r) => r.memory[key] ?? NaN,
  set: (r, v) => {
    if (!optional || !Number.isNaN(v)) r.memory[key] = v;
  },
});

const COLUMNS: Column[] = [
  num('step'),
  num('loss'),
  num('lossOut'),
  num('lossLayer'),
  num('lossCe'),
  { name: 'tau', get: (r) => r.tau ?? NaN, set: (r, v) => void (r.tau = Number.isNaN(v) ? null : v) },
  { name: 'onPolicy', get: (r) => (r.onPolicy ? 1 : 0), set: (r, v) => void (r.onPolicy = v === 1) },
  num('interventionRate'),
  optionalNum('teacherTokens'),
  optionalNum('rolloutTokens'),
  num('lr'),
  num('gradNorm'),
  num('msPerStep'),
  num('tokensPerSec'),
  memory('numTensors', false),
  memory('numBytes', false),
  memory('gpuBytesInUse', true),
  memory('gpuBytesPooled', true),
];
const W = COLUMNS.length;

export interface StepBatch {
  n: number;
  /** Student layers: the width of the per-layer rows (0 without a teacher). */
  layers: number;
  scalars: Float64Array; // [n, W], columns in COLUMNS order
  layerDivergence: Float64Array; // [n, layers]
  layerInterventionRate: Float64Array; // [n, layers]
  /** The fields not every record has, by row index. */
  extras: ({ i: number } & Extras)[];
}

/** The record fields that travel as plain objects, when a record has them. */
const EXTRAS = ['heatmap', 'sample', 'effectiveRank', 'tauByPosition', 'interventionByPosition', 'divergenceByPosition'] as const;
type Extras = Partial<Pick<StepRecord, (typeof EXTRAS)[number]>>;

export function packSteps(records: StepRecord[]): StepBatch {
  const n = records.length;
  const layers = Math.max(0, ...records.map((r) => r.layerDivergence.length));
  const scalars = new Float64Array(n * W);
  const layerDivergence = new Float64Array(n * layers).fill(NaN);
  const layerInterventionRate = new Float64Array(n * layers).fill(NaN);
  const extras: StepBatch['extras'] = [];
  records.forEach((r, i) => {
    COLUMNS.forEach((c, j) => (scalars[i * W + j] = c.get(r)));
    layerDivergence.set(r.layerDivergence, i * layers);
    layerInterventionRate.set(r.layerInterventionRate, i * layers);
    const has = EXTRAS.filter((k) => r[k] !== undefined);
    if (has.length) extras.push({ i, ...Object.fromEntries(has.map((k) => [k, r[k]])) });
  });
  return { n, layers, scalars, layerDivergence, layerInterventionRate, extras };
}

/** The buffers to transfer with a batch. */
export function transferables(b: StepBatch): ArrayBuffer[] {
  return [b.scalars.buffer, b.layerDivergence.buffer, b.layerInterventionRate.buffer] as ArrayBuffer[];
}

export function unpackSteps(b: StepBatch): StepRecord[] {
  const rowOf = (a: Float64Array, i: number) => Array.from(a.subarray(i * b.layers, (i + 1) * b.layers)).filter((x) => !Number.isNaN(x));
  const out: StepRecord[] = [];
  for (let i = 0; i < b.n; i++) {
    // Every field is set below: the scalars by their columns, the series from their rows.
    const r = { memory: {}, layerInterventionRate: rowOf(b.layerInterventionRate, i), layerDivergence: rowOf(b.layerDivergence, i) } as StepRecord;
    COLUMNS.forEach((c, j) => c.set(r, b.scalars[i * W + j]!));
    out.push(r);
  }
  for (const x of b.extras) {
    const r = out[x.i]! as Extras;
    for (const k of EXTRAS) if (x[k] !== undefined) (r as Record<string, unknown>)[k] = x[k];
  }
  return out;
}
