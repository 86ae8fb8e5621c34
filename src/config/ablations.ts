/**
 * Ablations: sets of runs that differ from a method's defaults in a few knobs, run with equal
 * budgets and seeds like the paper table's rows (`npm run ablation`). Each row is a method and the
 * knobs it changes. No tfjs here.
 */
import { type DistillConfig, type Method, earlierReading } from './knobs';
import { type PaperPlan, paperConfig } from './paper-plan';

export interface AblationRow {
  /** Short and unique within its ablation: the row's name in files and in --rows. */
  id: string;
  method: Method;
  /** Knobs over the method's and preset's defaults. */
  knobs: Partial<DistillConfig>;
  /** What the row is, in words. */
  about: string;
}

export interface Ablation {
  title: string;
  /** What it measures and why, for the report's first paragraph. */
  about: string;
  rows: AblationRow[];
}

/** SWITCH's threshold shapes (and our earlier reading) for a method. */
const shapes = (m: Method): AblationRow[] => [
  { id: `${m} exp`, method: m, knobs: {}, about: 'τ0·e^(−λt) along the response, τ0 = 0.2, λ = 0.1, jsd trigger (SWITCH; the default)' },
  { id: `${m} linear`, method: m, knobs: { tauShape: 'linear' }, about: 'τ0·max(0, 1 − λt) along the response' },
  { id: `${m} constant`, method: m, knobs: { tauShape: 'constant' }, about: 'τ0 at every position' },
  { id: `${m} step`, method: m, knobs: { tauDecay: 'step' }, about: 'τ(s) over training steps from τ0 to τmin = 0.05, one value for all positions, jsd trigger' },
  { id: `${m} step-fkl`, method: m, knobs: earlierReading({ divergence: 'fkl' }), about: 'our earlier reading: τ(s) over steps from τ0 = the 0.8 quantile of a warm-up rollout, trigger on the loss divergence (fkl)' },
];

export const ABLATIONS = {
  schedules: {
    title: "SWITCH's threshold ablation",
    about:
      "The threshold's shape along the response (exponential, linear, constant) and the earlier reading (decay over training steps), for `sti-lora` and `sti`, with equal budgets; `gkd` (on-policy, no intervention) and `kd` (teacher forcing) as references; and a λ sweep for `sti-lora`.",
    rows: [
      ...shapes('sti-lora'),
      ...shapes('sti'),
      { id: 'gkd', method: 'gkd', knobs: {}, about: 'on-policy KD without intervention (reference)' },
      { id: 'kd', method: 'kd', knobs: {}, about: 'word-level KD on gold prefixes, teacher forcing (reference)' },
      ...[0.02, 0.05, 0.2].map((l): AblationRow => ({ id: `sti-lora λ=${l}`, method: 'sti-lora', knobs: { tauLambda: l }, about: `τ0·e^(−λt), λ = ${l}` })),
    ],
  },
  tau0: {
    title: 'τ0 and the teacher-token share',
    about:
      "The share of rollout tokens the teacher produces over a run of `sti-lora` (SWITCH reports about 53% with λ = 1/10) for ways of setting τ0 of the jsd trigger: auto, a quantile of the untrained student's warm-up divergence over every position, and raw values in nats (jsd is at most ln 2 ≈ 0.693).",
    rows: [
      ...[0.5, 0.8, 0.95].map((q0): AblationRow => ({ id: `auto q0=${q0}`, method: 'sti-lora', knobs: { tauMode: 'auto', q0 }, about: `τ0 = the ${q0} quantile of the warm-up jsd` })),
      ...[0.05, 0.1, 0.2, 0.4].map((t0): AblationRow => ({ id: `raw τ0=${t0}`, method: 'sti-lora', knobs: { tauMode: 'raw', tau0: t0 }, about: `τ0 = ${t0} nats` })),
    ],
  },
} satisfies Record<string, Ablation>;

export type AblationName = keyof typeof ABLATIONS;
export const ABLATION_NAMES = Object.keys(ABLATIONS) as AblationName[];

/** Seed k of a row: the paper table's seeds and budget, with the row's knobs. */
export function ablationConfig(plan: Omit<PaperPlan, 'methods'>, row: AblationRow, k: number): DistillConfig {
  return paperConfig(plan, row.method, k, row.knobs);
}
