/** A micro preset and a random (sharp) teacher, so engine tests run in seconds on the cpu backend. */
import { type DistillConfig } from '../../src/config/knobs';
import { type Preset, getPreset } from '../../src/config/presets';
import { resolveConfig } from '../../src/config/resolve';
import { taskSource } from '../../src/data/source';
import { StepDriver } from '../../src/distill/driver';
import type { Host } from '../../src/distill/host';
import type { Trainer } from '../../src/distill/trainer';
import type { StepRecord } from '../../src/protocol/records';
import { presetModelConfig } from '../../src/distill/models';
import type { Transformer } from '../../src/model/transformer';
import { randomModel } from '../helpers';

const TINY = getPreset('tiny');

/** tiny's task at one fixed length (no batch-to-batch length noise), 4 layers × 16. */
export const MICRO: Preset = {
  ...TINY,
  data: { kind: 'task', task: { task: 'reverse', trainLengths: [4, 4], testLengths: [3, 4, 6], testPerLength: 4, testSeed: 3604047271 } }, // the seed a run with seedData 1 drew its test set with before test sets were fixed: the golden figures stay
  base: { ...(TINY.base as Extract<Preset['base'], { kind: 'recipe' }>), arch: { nLayer: 4, nHead: 2, dModel: 16, dFF: 32 } },
};
export const MICRO_DATA = taskSource((MICRO.data as Extract<Preset['data'], { kind: 'task' }>).task);

export function microConfig(over: Partial<DistillConfig>): DistillConfig {
  return resolveConfig({ preset: 'tiny', batchSize: 8, steps: 30, warmupSteps: 3, evalEvery: 0, heatmapEvery: 5, rankEvery: 5, topK: 3, ...over });
}

/** A teacher with random, not small, weights: sharp distributions the student can learn to match. */
export function microTeacher(seed = 5): Transformer {
  return randomModel(presetModelConfig(MICRO, MICRO_DATA), seed);
}

/** A base at a trained weight scale (std 0.3), from which LoRA can actually move the output. */
export function microBase(seed = 6): Transformer {
  return randomModel(presetModelConfig(MICRO, MICRO_DATA), seed);
}

export const microHost: Host = {
  data: async () => MICRO_DATA,
  base: async () => ({ model: microBase(), origin: 'random micro base (tests)' }),
  teacher: async () => ({ model: microTeacher(), origin: 'random micro teacher (tests)' }),
};

/** `n` more steps of a trainer through the step driver (no evaluations): their records. */
export async function trainSteps(trainer: Trainer, n: number): Promise<StepRecord[]> {
  const records: StepRecord[] = [];
  await new StepDriver(trainer, { evaluate: null, steps: trainer.done + n }).run({ onStep: (r) => records.push(r) });
  return records;
}
