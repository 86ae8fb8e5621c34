/**
 * The teacher–student divergences, one row each (docs/method.md, "Divergences"): its formula, its
 * mixture weight and that weight's default, its reference over log-probabilities in any
 * arithmetic (tensors in losses.ts, plain numbers in the tests), and its WGSL for the fused
 * programs (src/engine/fused/divergence.ts), forward and gradient. No tfjs here: the knob table
 * and the page read the names and defaults.
 *
 * With lT = log p_T, lS = log p_S (both at temperature T) and M = w·p_T + (1 − w)·p_S:
 *   fkl   KL(p_T ‖ p_S)                                forward KL
 *   rkl   KL(p_S ‖ p_T)                                reverse KL
 *   gjsd  β·KL(p_T ‖ M) + (1−β)·KL(p_S ‖ M), w = β     generalised JSD (TRL's); β = 0 is fkl, β = 1 rkl
 *   jsd   gjsd at β = ½                                Jensen–Shannon: symmetric, at most ln 2 (SWITCH's trigger)
 *   skl   KL(p_T ‖ M), w = α                           skew forward KL (DistiLLM); α = 0 is fkl
 *   tvd   ½·Σ|p_T − p_S|                               total variation, at most 1
 */

export const DIVERGENCES = ['fkl', 'rkl', 'gjsd', 'jsd', 'skl', 'tvd'] as const;
export type DivergenceKind = (typeof DIVERGENCES)[number];

/** The knobs that hold a divergence's mixture weight. */
export type WeightKnob = 'beta' | 'skewAlpha';

/** The arithmetic a row's reference is written in: KL and the log-mixture over the last axis, and a few elementwise ops. */
export interface DivergenceMath<T> {
  /** KL(p ‖ q) = Σ p (log p − log q), from log p and log q. */
  kl(logP: T, logQ: T): T;
  /** log(w·p + (1 − w)·q) from log p and log q; w in (0, 1). */
  logMix(logP: T, logQ: T, w: number): T;
  /** Σ |p − q| from log p and log q. */
  l1(logP: T, logQ: T): T;
  add(a: T, b: T): T;
  scale(a: T, c: number): T;
}

/**
 * WGSL of a divergence over one row, given `lT`, `lS` (log-probabilities of one vocabulary entry)
 * and `uniforms.w`, with the helpers of DIVERGENCE_WGSL. The gradient with respect to the
 * student's tempered logits z is written as dz_j from `pS` = exp(lS) and `sum`, the row's sum of
 * `gradSum`: for the mixtures and tvd, ∂D/∂z_j = pS_j (g_j − Σ pS g).
 */
export interface DivergenceWgsl {
  /** The term whose sum over the row is D. */
  term: string;
  /** The term whose sum over the row is `sum` in `dz` ('0.0' where dz needs none). */
  gradSum: string;
  /** ∂D/∂z_j. */
  dz: string;
}

export interface DivergenceRow {
  /** In words, for help texts and the page. */
  label: string;
  /** The mixture weight w: a knob with its default, fixed, or none (the divergence has no mixture). */
  weight: { knob: WeightKnob; default: number } | { fixed: number } | null;
  /** Where the mixture formula degenerates at weight w, the row that computes it there (gjsd at β 0 or 1, skl at α 0). */
  degenerate?(w: number): DivergenceKind | null;
  /** Its largest value, where it is bounded (a raw threshold then means the same across models). */
  bound?: number;
  /** D from lT, lS [..., V] → [...]. */
  reference<T>(m: DivergenceMath<T>, lT: T, lS: T, w: number): T;
  wgsl: DivergenceWgsl;
}

/** β·KL(p_T ‖ M) + (1 − β)·KL(p_S ‖ M). */
function mixtureJsd<T>(m: DivergenceMath<T>, lT: T, lS: T, w: number): T {
  const lM = m.logMix(lT, lS, w);
  return m.add(m.scale(m.kl(lT, lM), w), m.scale(m.kl(lS, lM), 1 - w));
}

const JSD_WGSL: DivergenceWgsl = {
  term: 'gjsd(lT, lS)',
  gradSum: 'exp(lS) * (1.0 - uniforms.w) * (lS - logMix(lT, lS))',
  dz: 'pS * ((1.0 - uniforms.w) * (lS - logMix(lT, lS)) - sum)',
};

/** WGSL helpers of the rows' terms: log(w·p_T + (1 − w)·p_S), stably (the reference's logMix), and the mixture divergences. Needs uniforms.w. */
export const DIVERGENCE_WGSL = `
  fn logMix(lT : f32, lS : f32) -> f32 {
    let a = lT + log(uniforms.w);
    let b = lS + log(1.0 - uniforms.w);
    let m = max(a, b);
    return m + log(exp(a - m) + exp(b - m));
  }
  fn gjsd(lT : f32, lS : f32) -> f32 {
    let lM = logMix(lT, lS);
    return uniforms.w * exp(lT) * (lT - lM) + (1.0 - uniforms.w) * exp(lS) * (lS - lM);
  }
  fn skl(lT : f32, lS : f32) -> f32 {
    return exp(lT) * (lT - logMix(lT, lS));
  }`;

export const DIVERGENCE_TABLE: { readonly [K in DivergenceKind]: DivergenceRow } = {
  fkl: {
    label: 'forward KL(p_T ‖ p_S)',
    weight: null,
    reference: (m, lT, lS) => m.kl(lT, lS),
    wgsl: { term: 'exp(lT) * (lT - lS)', gradSum: '0.0', dz: 'pS - exp(lT)' },
  },
  rkl: {
    label: 'reverse KL(p_S ‖ p_T)',
    weight: null,
    reference: (m, lT, lS) => m.kl(lS, lT),
    wgsl: { term: 'exp(lS) * (lS - lT)', gradSum: 'exp(lS) * (lS - lT)', dz: 'pS * (lS - lT - sum)' },
  },
  gjsd: {
    label: 'generalised JSD with weight β',
    weight: { knob: 'beta', default: 0.5 },
    degenerate: (w) => (w === 0 ? 'fkl' : w === 1 ? 'rkl' : null),
    reference: mixtureJsd,
    wgsl: JSD_WGSL,
  },
  jsd: {
    label: 'Jensen–Shannon divergence (symmetric, at most ln 2)',
    weight: { fixed: 0.5 },
    bound: Math.LN2,
    reference: mixtureJsd,
    wgsl: JSD_WGSL,
  },
  skl: {
    label: 'skew forward KL with weight α',
    weight: { knob: 'skewAlpha', default: 0.1 },
    degenerate: (w) => (w === 0 ? 'fkl' : null),
    reference: (m, lT, lS, w) => m.kl(lT, m.logMix(lT, lS, w)),
    wgsl: { term: 'skl(lT, lS)', gradSum: 'exp(lS) * -(1.0 - uniforms.w) * exp(lT - logMix(lT, lS))', dz: 'pS * (-(1.0 - uniforms.w) * exp(lT - logMix(lT, lS)) - sum)' },
  },
  tvd: {
    label: 'total variation ½·Σ|p_T − p_S|',
    weight: null,
    bound: 1,
    reference: (m, lT, lS) => m.scale(m.l1(lT, lS), 0.5),
    wgsl: { term: '0.5 * abs(exp(lT) - exp(lS))', gradSum: 'exp(lS) * -0.5 * sign(exp(lT) - exp(lS))', dz: 'pS * (-0.5 * sign(exp(lT) - exp(lS)) - sum)' },
  },
};

/** A divergence as a run sets it: its kind and the knobs its weight may come from. */
export interface DivergenceChoice {
  kind: DivergenceKind;
  /** gjsd's β (default: the table's). */
  beta?: number;
  /** skl's α (default: the table's). */
  alpha?: number;
}

/** The default of a weight knob, from the row that uses it. */
export function weightDefault(knob: WeightKnob): number {
  for (const row of Object.values(DIVERGENCE_TABLE)) if (row.weight && 'knob' in row.weight && row.weight.knob === knob) return row.weight.default;
  throw new Error(`no divergence takes its weight from ${knob}`);
}

/**
 * The row that computes a choice and its weight w: the knob's value (or its default), the fixed
 * weight, or 0.5 where there is no mixture (the programs' uniform is then unused); where the
 * weight makes the mixture degenerate, the row that computes it there.
 */
export function resolveDivergence(c: DivergenceChoice): { kind: DivergenceKind; w: number } {
  const row = DIVERGENCE_TABLE[c.kind];
  if (!row) throw new Error(`unknown divergence ${JSON.stringify(c.kind)}; valid: ${DIVERGENCES.join(', ')}`);
  const wt = row.weight;
  const w = wt === null ? 0.5 : 'fixed' in wt ? wt.fixed : ((wt.knob === 'beta' ? c.beta : c.alpha) ?? wt.default);
  const other = row.degenerate?.(w) ?? null;
  return other ? { kind: other, w: 0.5 } : { kind: c.kind, w };
}

/** The fused programs' number of a divergence (its place in DIVERGENCES). */
export const divergenceCode = (kind: DivergenceKind): number => DIVERGENCES.indexOf(kind);
