/** A micro preset and a random (sharp) teacher, so engine tests run in seconds on the cpu backend. */
import type { Preset } from '../../src/data/presets';
import { type DistillConfig } from '../../src/distill/config';
import { presetModelConfig } from '../../src/distill/models';
import { type Host, resolveConfig } from '../../src/distill/run';
import { MICRO_DATA, MICRO_PRESET, randomModel } from '../../src/engine/selfcheck';
import type { Transformer } from '../../src/model/transformer';

/** tiny's task at one fixed length (no batch-to-batch length noise), 4 layers × 16. */
export const MICRO: Preset = MICRO_PRESET;
export { MICRO_DATA };

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
