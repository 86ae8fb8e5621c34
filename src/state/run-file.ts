/**
 * Reading a run file: the JSON a run is downloaded as (and kept in localStorage as). A file is
 * untrusted input, so every field of every record is checked against the types of
 * protocol/records.ts before anything uses it; the first problem refuses the whole file with a
 * message naming the file and the path of the bad value, and nothing is changed.
 *
 * Pure functions (no React, DOM, store or tfjs): the page and Node tests use them alike.
 */
import { type DistillConfig, KNOBS, KnobError, earlierReading, validateConfig } from '../config/knobs';
import { PRESET_NAMES } from '../config/presets';
import type { EvalRecord, FinalRecord, LengthResult, MemorySnapshot, RunInfo, StepRecord } from '../protocol/records';
import { Bad, type Json, arr, bool, fail, int, metric, num, numOrNull, nums, obj, path, show, str } from './json-checks';

export const RUN_FORMAT = 'kd-playground-run/2';
/** Format /1: an eval's (and the final record's) `done` was named `step`. Read and converted. */
export const OLD_RUN_FORMAT = 'kd-playground-run/1';

export interface SavedRun {
  format: typeof RUN_FORMAT;
  hash: string;
  config: DistillConfig;
  runInfo: RunInfo | null;
  steps: StepRecord[];
  evals: EvalRecord[];
  final: FinalRecord | null;
}

/** Longer text is refused before JSON.parse (a saved run, compacted to ~1,500 steps, is far smaller). */
const MAX_TEXT = 200 * 1024 * 1024;
const MAX_STEPS = 1_000_000;
const MAX_EVALS = 100_000;
const MAX_HASH = 4096;

/** Knobs added since format /2 was first written, with the value every run before them had (the threshold's follow the file's divergence). */
const knobsAdded = (c: Json): Partial<DistillConfig> => ({ studentBlocks: 0, ...earlierReading({ divergence: c.divergence as DistillConfig['divergence'] }) });

/** A knob config: each knob of the right JSON type, then validateConfig's ranges, choices and cross-field rules. */
function config(at: string, key: string, v: unknown): DistillConfig {
  const c = obj(at, key, v);
  const p = path(at, key);
  const out: Json = {};
  const added = knobsAdded(c);
  for (const k of KNOBS) {
    // A knob added after the file was saved takes the value the run it records ran with.
    if (!(k.key in c) && k.key in added) out[k.key] = added[k.key];
    else if (k.kind === 'list') out[k.key] = arr(p, k.key, c[k.key], str);
    else if (k.kind === 'choice') out[k.key] = str(p, k.key, c[k.key]);
    else out[k.key] = num(p, k.key, c[k.key]);
  }
  try {
    validateConfig(out as unknown as DistillConfig, PRESET_NAMES);
  } catch (e) {
    // KnobError messages start with the knob's key ("batchSize: …"), which makes a path after `config.`.
    throw new Bad(e instanceof KnobError ? `${p}.${e.message}` : `${p}: ${String(e)}`);
  }
  return out as unknown as DistillConfig;
}

// Records are rebuilt field by field, so that a file's unknown fields go no further.

function memory(at: string, key: string, v: unknown): MemorySnapshot {
  const m = obj(at, key, v);
  const p = path(at, key);
  const out: MemorySnapshot = { numTensors: int(p, 'numTensors', m.numTensors), numBytes: int(p, 'numBytes', m.numBytes) };
  if (m.gpuBytesInUse !== undefined) out.gpuBytesInUse = num(p, 'gpuBytesInUse', m.gpuBytesInUse);
  if (m.gpuBytesPooled !== undefined) out.gpuBytesPooled = num(p, 'gpuBytesPooled', m.gpuBytesPooled);
  return out;
}

function heatmap(at: string, key: string, v: unknown): NonNullable<StepRecord['heatmap']> {
  const h = obj(at, key, v);
  const p = path(at, key);
  const layers = int(p, 'layers', h.layers);
  const positions = int(p, 'positions', h.positions);
  const values = nums(p, 'values', h.values);
  if (values.length !== layers * positions) throw new Bad(`${p}.values has ${values.length} values, not layers × positions = ${layers * positions}`);
  return { layers, positions, values };
}

function sample(at: string, key: string, v: unknown): NonNullable<StepRecord['sample']> {
  const s = obj(at, key, v);
  const p = path(at, key);
  return { prompt: str(p, 'prompt', s.prompt), response: str(p, 'response', s.response), intervened: nums(p, 'intervened', s.intervened), divergence: nums(p, 'divergence', s.divergence) };
}

function ranks(at: string, key: string, v: unknown): Record<string, number> {
  const e = obj(at, key, v);
  const p = path(at, key);
  const out: Record<string, number> = {};
  for (const k of Object.keys(e)) out[k] = num(p, k, e[k]);
  return out;
}

function step(at: string, i: number, v: unknown): StepRecord {
  const r = obj(at, i, v);
  const p = path(at, i);
  const out: StepRecord = {
    step: int(p, 'step', r.step),
    loss: metric(p, 'loss', r.loss),
    lossOut: metric(p, 'lossOut', r.lossOut),
    lossLayer: metric(p, 'lossLayer', r.lossLayer),
    lossCe: metric(p, 'lossCe', r.lossCe),
    tau: numOrNull(p, 'tau', r.tau),
    onPolicy: bool(p, 'onPolicy', r.onPolicy),
    interventionRate: num(p, 'interventionRate', r.interventionRate),
    layerInterventionRate: nums(p, 'layerInterventionRate', r.layerInterventionRate),
    layerDivergence: nums(p, 'layerDivergence', r.layerDivergence),
    lr: num(p, 'lr', r.lr),
    gradNorm: metric(p, 'gradNorm', r.gradNorm),
    msPerStep: metric(p, 'msPerStep', r.msPerStep),
    tokensPerSec: metric(p, 'tokensPerSec', r.tokensPerSec),
    memory: memory(p, 'memory', r.memory),
  };
  // Optional extras and per-position series: absent (not null) on a step that has none.
  if (r.heatmap !== undefined) out.heatmap = heatmap(p, 'heatmap', r.heatmap);
  if (r.sample !== undefined) out.sample = sample(p, 'sample', r.sample);
  if (r.effectiveRank !== undefined) out.effectiveRank = ranks(p, 'effectiveRank', r.effectiveRank);
  for (const k of ['tauByPosition', 'interventionByPosition', 'divergenceByPosition', 'teacherTokens', 'rolloutTokens'] as const) {
    if (r[k] !== undefined) (out as unknown as Json)[k] = k.endsWith('Tokens') ? num(p, k, r[k]) : nums(p, k, r[k]);
  }
  return out;
}

/** Step records, in order of strictly increasing `step`. */
function steps(v: unknown): StepRecord[] {
  let prev = -1;
  return arr('', 'steps', v, (at, i, x) => {
    const s = step(at, i, x);
    if (s.step <= prev) fail(path(at, i), 'step', s.step, `above the step before it (${prev})`);
    prev = s.step;
    return s;
  }, MAX_STEPS);
}

function lengthResult(at: string, i: number, v: unknown): LengthResult {
  const r = obj(at, i, v);
  const p = path(at, i);
  return { length: int(p, 'length', r.length), rougeL: num(p, 'rougeL', r.rougeL), exactMatch: num(p, 'exactMatch', r.exactMatch), beyondTraining: bool(p, 'beyondTraining', r.beyondTraining) };
}

function evalSample(at: string, i: number, v: unknown): EvalRecord['samples'][number] {
  const r = obj(at, i, v);
  const p = path(at, i);
  return { prompt: str(p, 'prompt', r.prompt), output: str(p, 'output', r.output), gold: str(p, 'gold', r.gold) };
}

/** An eval record `r` at path `p`; format /1 (`old`) named its `done` `step`. */
function evalFields(p: string, r: Json, old: boolean): EvalRecord {
  return {
    done: old ? int(p, 'step', r.step) : int(p, 'done', r.done),
    rougeL: num(p, 'rougeL', r.rougeL),
    exactMatch: num(p, 'exactMatch', r.exactMatch),
    perplexity: metric(p, 'perplexity', r.perplexity),
    byLength: arr(p, 'byLength', r.byLength, lengthResult),
    accuracyByPositionBeyond: nums(p, 'accuracyByPositionBeyond', r.accuracyByPositionBeyond),
    accuracyByPosition: nums(p, 'accuracyByPosition', r.accuracyByPosition),
    samples: arr(p, 'samples', r.samples, evalSample),
  };
}

function finalRecord(v: unknown, old: boolean, p = 'final'): FinalRecord {
  const r = obj('', p, v);
  const out: FinalRecord = {
    ...evalFields(p, r, old),
    trainableParams: num(p, 'trainableParams', r.trainableParams),
    totalParams: num(p, 'totalParams', r.totalParams),
    teacherParams: num(p, 'teacherParams', r.teacherParams),
    peakBytes: num(p, 'peakBytes', r.peakBytes),
    msPerToken: num(p, 'msPerToken', r.msPerToken),
  };
  if (r.peakGpuBytes !== undefined) out.peakGpuBytes = num(p, 'peakGpuBytes', r.peakGpuBytes);
  if (r.teacherTokenShare !== undefined) out.teacherTokenShare = num(p, 'teacherTokenShare', r.teacherTokenShare);
  return out;
}

function runInfo(v: unknown, p = 'runInfo'): RunInfo {
  const r = obj('', p, v);
  return {
    config: config(p, 'config', r.config),
    base: str(p, 'base', r.base),
    teacher: str(p, 'teacher', r.teacher),
    layerMap: nums(p, 'layerMap', r.layerMap, true),
    studentLayers: int(p, 'studentLayers', r.studentLayers),
    tau0: numOrNull(p, 'tau0', r.tau0),
    tauMin: numOrNull(p, 'tauMin', r.tauMin),
    trainableParams: num(p, 'trainableParams', r.trainableParams),
    totalParams: num(p, 'totalParams', r.totalParams),
    teacherParams: num(p, 'teacherParams', r.teacherParams),
    loraRank: numOrNull(p, 'loraRank', r.loraRank),
    loraModules: arr(p, 'loraModules', r.loraModules, str),
  };
}

/** Reads a run's JSON (a downloaded file, or localStorage's copy), checking every field; format /1 becomes /2. */
export function parseRunFile(text: string, name: string): SavedRun {
  if (text.length > MAX_TEXT) throw new Error(`${name} is too large for a run file (${Math.round(text.length / 2 ** 20)} MB; at most ${MAX_TEXT / 2 ** 20} MB).`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${name} is not a run file (not JSON).`);
  }
  try {
    const r = obj('', 'the top level', json);
    if (r.format !== RUN_FORMAT && r.format !== OLD_RUN_FORMAT) {
      throw new Bad(`format is ${r.format === undefined ? 'missing' : show(r.format)} (expected format ${RUN_FORMAT})`);
    }
    const old = r.format === OLD_RUN_FORMAT;
    return {
      format: RUN_FORMAT,
      hash: str('', 'hash', r.hash, MAX_HASH),
      config: config('', 'config', r.config),
      runInfo: r.runInfo === null ? null : runInfo(r.runInfo),
      steps: steps(r.steps),
      evals: arr('', 'evals', r.evals, (at, i, x) => evalFields(path(at, i), obj(at, i, x), old), MAX_EVALS),
      final: r.final === null ? null : finalRecord(r.final, old),
    };
  } catch (e) {
    if (e instanceof Bad) throw new Error(`${name} is not a KD Playground run file: ${e.message}.`);
    throw e;
  }
}
