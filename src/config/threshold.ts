/**
 * The intervention threshold τ(s, t) at training step s and response position t (docs/method.md,
 * "The threshold"), as two tables: how it decays (along the response as SWITCH does, over training
 * steps as our earlier reading did, or both) and the shape g(t) along the response. t counts from
 * 0 at the first response token. No tfjs here: the page draws τ with the same functions.
 *
 *   position  τ(s, t) = τ0·g(t)                                  SWITCH: the same at every step
 *   step      τ(s, t) = τ(s) = τmin + (τ0 − τmin)·e^(−k·s/S)     our earlier reading: one value for all positions
 *   both      τ(s, t) = τ(s)·g(t)
 *
 *   exp       g(t) = e^(−λt)          SWITCH's (λ = 0.1: "a decay factor of 1/10")
 *   linear    g(t) = max(0, 1 − λt)   its ablation
 *   constant  g(t) = 1                its ablation
 */

export const TAU_DECAYS = ['position', 'step', 'both'] as const;
export type TauDecay = (typeof TAU_DECAYS)[number];
export const TAU_SHAPES = ['exp', 'linear', 'constant'] as const;
export type TauShape = (typeof TAU_SHAPES)[number];

/** A run's threshold: τ0 (nats of the trigger divergence) and how it decays. */
export interface Schedule {
  decay: TauDecay;
  shape: TauShape;
  /** λ of g, per response token. */
  lambda: number;
  tau0: number;
  /** step and both: the floor τmin of τ(s), its rate k and the run's steps S. */
  tauMin: number;
  k: number;
  steps: number;
}

export interface TauShapeRow {
  formula: string;
  g(lambda: number, t: number): number;
}

export const TAU_SHAPE_TABLE: { readonly [K in TauShape]: TauShapeRow } = {
  exp: { formula: 'e^(−λt)', g: (lambda, t) => Math.exp(-lambda * t) },
  linear: { formula: 'max(0, 1 − λt)', g: (lambda, t) => Math.max(0, 1 - lambda * t) },
  constant: { formula: '1', g: () => 1 },
};

/** τ(s) of the step decay: τmin + (τ0 − τmin)·e^(−k·s/S). */
export function tauOverSteps(sch: Schedule, step: number): number {
  return sch.tauMin + (sch.tau0 - sch.tauMin) * Math.exp((-sch.k * step) / Math.max(sch.steps, 1));
}

export interface TauDecayRow {
  label: string;
  formula: string;
  /** Whether τ changes over training steps (the page then also draws it over steps). */
  overSteps: boolean;
  /** Whether τ changes along the response. */
  alongResponse: boolean;
  tau(sch: Schedule, step: number, t: number): number;
}

const g = (sch: Schedule, t: number) => TAU_SHAPE_TABLE[sch.shape].g(sch.lambda, t);

export const TAU_DECAY_TABLE: { readonly [K in TauDecay]: TauDecayRow } = {
  position: { label: 'along the response (SWITCH)', formula: 'τ0·g(t)', overSteps: false, alongResponse: true, tau: (sch, _, t) => sch.tau0 * g(sch, t) },
  step: { label: 'over training steps (our earlier reading)', formula: 'τmin + (τ0 − τmin)·e^(−k·s/S)', overSteps: true, alongResponse: false, tau: (sch, s) => tauOverSteps(sch, s) },
  both: { label: 'over steps and along the response', formula: 'τ(s)·g(t)', overSteps: true, alongResponse: true, tau: (sch, s, t) => tauOverSteps(sch, s) * g(sch, t) },
};

/** τ(s, t). */
export function tauAt(sch: Schedule, step: number, t: number): number {
  return TAU_DECAY_TABLE[sch.decay].tau(sch, step, t);
}

/** τ at step s for response positions 0 … n − 1. */
export function tauAlong(sch: Schedule, step: number, n: number): number[] {
  return Array.from({ length: n }, (_, t) => tauAt(sch, step, t));
}
