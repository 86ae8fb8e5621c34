/** Reading run files: a valid run round-trips, format /1 is converted, and a wrong file is refused naming the bad value's path. */
import { describe, expect, test } from 'vitest';
import { resolveConfig } from '../../src/config/resolve';
import type { EvalRecord, FinalRecord, StepRecord } from '../../src/protocol/records';
import { OLD_RUN_FORMAT, RUN_FORMAT, type SavedRun, parseRunFile } from '../../src/state/run-file';

const config = resolveConfig({ preset: 'tiny', method: 'kd-lora', steps: 3 });

function stepRecord(step: number): StepRecord {
  return {
    step,
    loss: 2 - step / 10,
    lossOut: 1.5,
    lossLayer: 0.5,
    lossCe: 0,
    tau: step === 0 ? null : 0.8,
    onPolicy: step % 2 === 1,
    interventionRate: 0.25,
    layerInterventionRate: [0.5, 0.125],
    layerDivergence: [0.3, 0.7],
    lr: 3e-3,
    gradNorm: 0.9,
    msPerStep: 12.5,
    tokensPerSec: 4000,
    memory: { numTensors: 120, numBytes: 1_048_576 },
  };
}

function evalRecord(done: number): EvalRecord {
  return {
    done,
    rougeL: 0.4,
    exactMatch: 0.1,
    perplexity: 3.2,
    byLength: [
      { length: 4, rougeL: 0.6, exactMatch: 0.2, beyondTraining: false },
      { length: 12, rougeL: 0.2, exactMatch: 0, beyondTraining: true },
    ],
    accuracyByPositionBeyond: [0.9, 0.5, 0.1],
    accuracyByPosition: [0.95, 0.7, 0.4],
    samples: [{ prompt: 'abc>', output: 'cba', gold: 'cba' }],
  };
}

function validRun(): SavedRun {
  const steps = [0, 1, 2].map(stepRecord);
  steps[2] = {
    ...steps[2]!,
    heatmap: { layers: 2, positions: 3, values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] },
    sample: { prompt: 'abc>', response: 'cba', intervened: [1], divergence: [0.1, 0.9, 0.2] },
    effectiveRank: { 'layers.0.attn.q': 3.5, 'layers.1.attn.v': 2.25 },
    memory: { numTensors: 130, numBytes: 2_000_000, gpuBytesInUse: 4096, gpuBytesPooled: 8192 },
  };
  const final: FinalRecord = { ...evalRecord(3), trainableParams: 1024, totalParams: 50_000, teacherParams: 100_000, peakBytes: 3_000_000, msPerToken: 0.8 };
  return {
    format: RUN_FORMAT,
    hash: 'v=1&p=tiny&m=kd-lora&s=3',
    config,
    runInfo: {
      config, base: 'tiny-base', teacher: 'tiny-teacher', layerMap: [1, 3], studentLayers: 2, tau0: 1, tauMin: 0.05,
      trainableParams: 1024, totalParams: 50_000, teacherParams: 100_000, loraRank: 8, loraModules: ['layers.0.attn.q', 'layers.1.attn.v'],
    },
    steps,
    evals: [evalRecord(0), evalRecord(3)],
    final,
  };
}

/** A valid run's JSON with one change made to its parsed form. */
function edited(change: (run: any) => void): string {
  const run = JSON.parse(JSON.stringify(validRun()));
  change(run);
  return JSON.stringify(run);
}

const refusal = (text: string): string => {
  try {
    parseRunFile(text, 'run.json');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the file was accepted');
};

describe('valid files', () => {
  test('a run round-trips through JSON.stringify → parseRunFile unchanged', () => {
    const run = validRun();
    expect(parseRunFile(JSON.stringify(run), 'run.json')).toEqual(run);
  });

  test('a format /1 file is read as /2, its evals and final record `step` becoming `done`', () => {
    const text = edited((run) => {
      run.format = OLD_RUN_FORMAT;
      for (const e of [...run.evals, run.final]) {
        e.step = e.done;
        delete e.done;
      }
    });
    const run = parseRunFile(text, 'old.json');
    expect(run.format).toBe(RUN_FORMAT);
    expect(run.evals.map((e) => e.done)).toEqual([0, 3]);
    expect(run.final?.done).toBe(3);
    expect(run).toEqual(validRun());
  });

  test('a run saved before the threshold knobs reads as the run it was: τ over steps, the trigger on the loss divergence', () => {
    const text = edited((run) => {
      for (const c of [run.config, run.runInfo.config]) {
        for (const k of ['tauDecay', 'tauShape', 'tauLambda', 'triggerDivergence']) delete c[k];
        c.divergence = 'rkl';
      }
    });
    const run = parseRunFile(text, 'old.json');
    for (const c of [run.config, run.runInfo!.config]) expect(c).toMatchObject({ tauDecay: 'step', tauShape: 'exp', tauLambda: 0.1, triggerDivergence: 'rkl' });
  });

  test('per-position series and rollout token counts round-trip; a bad one is refused by its path', () => {
    const run = validRun();
    Object.assign(run.steps[1]!, { tauByPosition: [0.4, 0.36], interventionByPosition: [0, 0.5], divergenceByPosition: [0.1, 0.6], teacherTokens: 3, rolloutTokens: 12 });
    run.final!.teacherTokenShare = 0.25;
    expect(parseRunFile(JSON.stringify(run), 'run.json')).toEqual(run);
    expect(refusal(edited((r) => (r.steps[1].interventionByPosition = [0, 'x'])))).toMatch(/steps\[1\]\.interventionByPosition\[1\]/);
  });

  test('NaN metrics, written by JSON.stringify as null, come back as NaN', () => {
    const run = validRun();
    run.steps[1] = { ...run.steps[1]!, loss: NaN, lossOut: NaN, gradNorm: NaN, tokensPerSec: Infinity };
    run.evals[0] = { ...run.evals[0]!, perplexity: NaN };
    const text = JSON.stringify(run);
    expect(text).toContain('"loss":null');
    const back = parseRunFile(text, 'run.json');
    expect(back.steps[1]!.loss).toBeNaN();
    expect(back.steps[1]!.lossOut).toBeNaN();
    expect(back.steps[1]!.gradNorm).toBeNaN();
    expect(back.steps[1]!.tokensPerSec).toBeNaN();
    expect(back.evals[0]!.perplexity).toBeNaN();
    expect(back.steps[0]!.tau).toBeNull();
  });
});

describe('wrong files are refused, naming the path of the first problem', () => {
  test('200,000 step records whose fields are strings: the first problem is named (time printed)', () => {
    const bad = Object.fromEntries(Object.entries(stepRecord(0)).map(([k, v]) => [k, String(v)]));
    const text = edited((run) => {
      run.steps = Array.from({ length: 200_000 }, () => bad);
    });
    const t0 = performance.now();
    const message = refusal(text);
    const ms = performance.now() - t0;
    console.log(`200,000 bad step records refused in ${ms.toFixed(1)} ms (${(text.length / 2 ** 20).toFixed(1)} MB)`);
    expect(message).toBe('run.json is not a KD Playground run file: steps[0].step is "0", not a non-negative integer.');
  });

  test('200,000 valid step records are read back whole (time printed)', () => {
    const text = edited((run) => {
      run.steps = Array.from({ length: 200_000 }, (_, i) => stepRecord(i));
    });
    const t0 = performance.now();
    const run = parseRunFile(text, 'run.json');
    const ms = performance.now() - t0;
    console.log(`200,000 valid step records read in ${ms.toFixed(1)} ms (${(text.length / 2 ** 20).toFixed(1)} MB)`);
    expect(run.steps).toHaveLength(200_000);
    expect(run.steps[199_999]).toEqual(stepRecord(199_999));
  });

  test('a step with a missing field', () => {
    expect(refusal(edited((run) => delete run.steps[1].lossCe))).toBe('run.json is not a KD Playground run file: steps[1].lossCe is missing (expected a number).');
  });

  test('a step field of the wrong type', () => {
    expect(refusal(edited((run) => (run.steps[2].loss = 'abc')))).toContain('steps[2].loss is "abc", not a number.');
    expect(refusal(edited((run) => (run.steps[2].layerDivergence[1] = '0.5')))).toContain('steps[2].layerDivergence[1] is "0.5", not a number.');
    expect(refusal(edited((run) => (run.steps[0].memory.numTensors = -1)))).toContain('steps[0].memory.numTensors is -1, not a non-negative integer.');
  });

  test('steps out of order, or repeated', () => {
    expect(refusal(edited((run) => ([run.steps[1].step, run.steps[2].step] = [2, 1])))).toContain('steps[2].step is 1, not above the step before it (2).');
    expect(refusal(edited((run) => (run.steps[1].step = 0)))).toContain('steps[1].step is 0, not above the step before it (0).');
  });

  test('a negative batch size in config', () => {
    expect(refusal(edited((run) => (run.config.batchSize = -4)))).toMatch(/^run\.json is not a KD Playground run file: config\.batchSize: "-4" is not valid; expected an integer in \[1, 512\]/);
    expect(refusal(edited((run) => (run.runInfo.config.batchSize = '16')))).toContain('runInfo.config.batchSize is "16", not a number.');
  });

  test('a heatmap with the wrong number of values', () => {
    expect(refusal(edited((run) => run.steps[2].heatmap.values.pop()))).toContain('steps[2].heatmap.values has 5 values, not layers × positions = 6.');
  });

  test('an eval whose byLength entry is not an object', () => {
    expect(refusal(edited((run) => (run.evals[1].byLength[0] = 3)))).toContain('evals[1].byLength[0] is 3, not an object.');
  });

  test('another format, with the format expected', () => {
    expect(refusal(edited((run) => (run.format = 'kd-playground-run/9')))).toBe('run.json is not a KD Playground run file: format is "kd-playground-run/9" (expected format kd-playground-run/2).');
  });

  test('text that is not JSON', () => {
    expect(refusal('{"format": "kd-playground-run/2", ')).toBe('run.json is not a run file (not JSON).');
  });

  test('JSON of another shape: an object, an array, null', () => {
    expect(refusal('{"hello":1}')).toBe('run.json is not a KD Playground run file: format is missing (expected format kd-playground-run/2).');
    expect(refusal('[1, 2, 3]')).toBe('run.json is not a KD Playground run file: the top level is an array, not an object.');
    expect(refusal('null')).toBe('run.json is not a KD Playground run file: the top level is null, not an object.');
  });
});
