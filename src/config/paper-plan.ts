/**
 * What a paper table is — a preset, the steps of every run, and seeds — and the config of each of
 * its runs. No tfjs here: the URL codec and the UI use it too.
 */
import { type DistillConfig, type Method } from './knobs';
import { resolveConfig } from './resolve';

export interface PaperPlan {
  preset: string;
  /** Steps of every run; absent: the preset's default. */
  steps?: number;
  seeds: number;
  /** A subset of the rows, in table order (all eight when absent). */
  methods?: Method[];
}

export const PAPER_SEEDS_MAX = 10;

/**
 * Seed k of a method: data order, adapter initialisation and sampling move together, and every
 * other knob is the method's and preset's default (or, for an ablation's row, its `knobs`), so all
 * rows get the same budget and data.
 */
export function paperConfig(plan: Omit<PaperPlan, 'methods'>, method: Method, k: number, knobs: Partial<DistillConfig> = {}): DistillConfig {
  return resolveConfig({ preset: plan.preset, method, ...(plan.steps ? { steps: plan.steps } : {}), ...knobs, seedData: 1 + k, seedInit: 101 + k, seedSample: 1001 + k, heatmapEvery: 0 });
}
