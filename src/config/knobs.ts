/**
 * Every knob of a distillation run (docs/method.md), as one typed table that drives defaults,
 * validation, the CLI flags, the knob panel and the URL codec, all through one parser (readKnob).
 * A value outside its range or choices is refused with a message listing what is valid.
 */
import { LORA_TARGETS, type LoraTarget } from '../model/config';
import { DIVERGENCES, type DivergenceKind, weightDefault } from '../model/divergences';
import { TRIGGERS, type Trigger } from '../model/triggers';
import { TAU_DECAYS, TAU_SHAPES, type TauDecay, type TauShape } from './threshold';

export const METHODS = ['ft', 'lora', 'kd', 'sti', 'kd-lora', 'sti-lora', 'gkd', 'skd'] as const;
export type Method = (typeof METHODS)[number];
export { TRIGGERS, type Trigger };
export const TAU_MODES = ['auto', 'raw'] as const;
export type TauMode = (typeof TAU_MODES)[number];

export interface DistillConfig {
  preset: string;
  method: Method;
  steps: number;
  batchSize: number;
  // Optimiser: AdamW, linear warm-up then cosine decay, global-norm clipping.
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  minLrFrac: number;
  gradClip: number;
  // Distillation signal.
  divergence: DivergenceKind;
  beta: number;
  skewAlpha: number;
  temperature: number;
  wOut: number;
  wLayer: number;
  alphaCe: number;
  lambdaOnPolicy: number;
  trigger: Trigger;
  /** The divergence the threshold trigger and the layer gate compare with τ (separate from the loss's). */
  triggerDivergence: DivergenceKind;
  topK: number;
  sampleTemperature: number;
  // The threshold τ(s, t) (config/threshold.ts): how it decays, its shape along the response, τ0.
  tauDecay: TauDecay;
  tauShape: TauShape;
  tauLambda: number;
  tauMode: TauMode;
  q0: number;
  tau0: number;
  tauMin: number;
  tauMinFrac: number;
  tauK: number;
  // LoRA.
  loraRank: number;
  loraAlpha: number;
  loraTargets: LoraTarget[];
  loraDropout: number;
  /** Blocks of the base the student keeps, spread evenly from the first (0: every other one). */
  studentBlocks: number;
  // Seeds.
  seedData: number;
  seedInit: number;
  seedSample: number;
  // Monitoring.
  evalEvery: number;
  rankEvery: number;
  heatmapEvery: number;
}

type Kind = 'int' | 'number' | 'choice' | 'list';

export interface Knob<K extends string = keyof DistillConfig> {
  key: K;
  /** Short key for URLs. */
  short: string;
  kind: Kind;
  min?: number;
  max?: number;
  choices?: readonly string[];
  help: string;
}

/** A knob's row: everything but its key (the row's name), and its default for every method. */
type KnobRow<V> = Omit<Knob, 'key'> & { default: V };

/**
 * Every knob, one row per DistillConfig field (a field without a row fails to compile), in the
 * order the CLI's help and the knob panel list them. The defaults are shared by every method;
 * methods and presets override some (see methods.ts, presets.ts).
 */
export const KNOB_TABLE: { readonly [K in keyof DistillConfig]-?: KnobRow<DistillConfig[K]> } = {
  preset: { short: 'p', kind: 'choice', default: 'tiny', help: 'task, models and default knobs' },
  method: { short: 'm', kind: 'choice', choices: METHODS, default: 'sti-lora', help: 'which row of the paper table to train' },
  steps: { short: 's', kind: 'int', min: 1, max: 100000, default: 200, help: 'training steps S' },
  batchSize: { short: 'b', kind: 'int', min: 1, max: 512, default: 16, help: 'sequences per step' },
  lr: { short: 'lr', kind: 'number', min: 1e-7, max: 1, default: 3e-3, help: 'peak learning rate (AdamW)' },
  weightDecay: { short: 'wd', kind: 'number', min: 0, max: 1, default: 0.01, help: 'decoupled weight decay' },
  warmupSteps: { short: 'wu', kind: 'int', min: 0, max: 100000, default: 10, help: 'linear warm-up steps, then cosine decay' },
  minLrFrac: { short: 'mlr', kind: 'number', min: 0, max: 1, default: 0.1, help: 'final learning rate as a fraction of the peak' },
  gradClip: { short: 'gc', kind: 'number', min: 0, max: 1000, default: 1, help: 'clip the global gradient norm to this (0 = off)' },
  divergence: { short: 'd', kind: 'choice', choices: DIVERGENCES, default: 'fkl', help: 'teacher–student divergence D of the loss' },
  beta: { short: 'gb', kind: 'number', min: 0, max: 1, default: weightDefault('beta'), help: 'gjsd mixture weight β (0 = forward KL, 1 = reverse KL)' },
  skewAlpha: { short: 'sa', kind: 'number', min: 0, max: 0.99, default: weightDefault('skewAlpha'), help: 'skl skew α' },
  temperature: { short: 't', kind: 'number', min: 0.05, max: 20, default: 1, help: 'KD temperature T (loss ×T²)' },
  wOut: { short: 'wo', kind: 'number', min: 0, max: 100, default: 1, help: 'weight of the output-layer KD term' },
  wLayer: { short: 'wl', kind: 'number', min: 0, max: 100, default: 0.1, help: 'weight of the layer-selective KD term' },
  alphaCe: { short: 'ce', kind: 'number', min: 0, max: 100, default: 0, help: 'weight of cross-entropy on gold data' },
  lambdaOnPolicy: { short: 'lam', kind: 'number', min: 0, max: 1, default: 1, help: 'fraction of batches that are student rollouts' },
  trigger: { short: 'tr', kind: 'choice', choices: TRIGGERS, default: 'threshold', help: 'when the teacher replaces a student token' },
  triggerDivergence: { short: 'td', kind: 'choice', choices: DIVERGENCES, default: 'jsd', help: 'divergence the threshold trigger and the layer gate compare with τ (jsd: SWITCH\'s, at most ln 2)' },
  topK: { short: 'k', kind: 'int', min: 1, max: 100000, default: 25, help: 'topk trigger: replace tokens outside the teacher top-K' },
  sampleTemperature: { short: 'st', kind: 'number', min: 0.05, max: 10, default: 1, help: 'sampling temperature of rollouts' },
  tauDecay: { short: 'tdc', kind: 'choice', choices: TAU_DECAYS, default: 'position', help: 'position: τ0·g(t) along the response (SWITCH); step: τ(s) over training, one value for all positions (our earlier reading); both: τ(s)·g(t)' },
  tauShape: { short: 'tsh', kind: 'choice', choices: TAU_SHAPES, default: 'exp', help: 'g(t) along the response: exp e^(−λt), linear max(0, 1 − λt), constant 1' },
  tauLambda: { short: 'tla', kind: 'number', min: 0, max: 10, default: 0.1, help: 'λ of g(t), per response token (t = 0 at the first)' },
  tauMode: { short: 'tm', kind: 'choice', choices: TAU_MODES, default: 'raw', help: 'raw: τ0 (and τmin) in nats of the trigger divergence; auto: τ0 is a quantile of it on a warm-up rollout' },
  q0: { short: 'q0', kind: 'number', min: 0, max: 1, default: 0.8, help: 'auto: τ0 is this quantile of the warm-up trigger divergence' },
  tau0: { short: 't0', kind: 'number', min: 0, max: 1000, default: 0.2, help: 'raw: threshold τ0 at the first response token and step 0, in nats (jsd is at most ln 2 ≈ 0.693)' },
  tauMin: { short: 'tmin', kind: 'number', min: 0, max: 1000, default: 0.05, help: 'raw, step/both: final threshold τmin of τ(s) (nats)' },
  tauMinFrac: { short: 'tmf', kind: 'number', min: 0, max: 1, default: 0.05, help: 'auto, step/both: τmin = this × τ0' },
  tauK: { short: 'tk', kind: 'number', min: 0, max: 100, default: 5, help: 'step/both: decay rate k of τ(s)' },
  loraRank: { short: 'r', kind: 'int', min: 1, max: 256, default: 8, help: 'LoRA rank r' },
  loraAlpha: { short: 'la', kind: 'number', min: 0.01, max: 1024, default: 16, help: 'LoRA α (scale α/r)' },
  loraTargets: { short: 'lt', kind: 'list', choices: LORA_TARGETS, default: ['q', 'v'], help: 'matrices that get adapters' },
  loraDropout: { short: 'ld', kind: 'number', min: 0, max: 0.9, default: 0, help: 'dropout on the adapter input' },
  seedData: { short: 'sd', kind: 'int', min: 0, max: 2 ** 31 - 1, default: 1, help: 'seed of the training data order' },
  seedInit: { short: 'si', kind: 'int', min: 0, max: 2 ** 31 - 1, default: 2, help: 'seed of weight/adapter initialisation' },
  studentBlocks: { short: 'sb', kind: 'int', min: 0, max: 128, default: 0, help: 'blocks of the base the student keeps, spread evenly from the first (0 = every other block, DistilBERT-style)' },
  seedSample: { short: 'ss', kind: 'int', min: 0, max: 2 ** 31 - 1, default: 3, help: 'seed of rollout sampling and dropout' },
  evalEvery: { short: 'ee', kind: 'int', min: 0, max: 100000, default: 50, help: 'evaluate ROUGE-L every N steps (0 = only at the end)' },
  rankEvery: { short: 're', kind: 'int', min: 0, max: 100000, default: 10, help: 'effective rank of LoRA ΔW every N steps (0 = off)' },
  heatmapEvery: { short: 'he', kind: 'int', min: 0, max: 100000, default: 10, help: 'layer × position divergence every N steps (0 = off)' },
};

type KnobEntry = { [K in keyof DistillConfig]: [K, KnobRow<DistillConfig[K]>] }[keyof DistillConfig];
const entries = Object.entries(KNOB_TABLE) as KnobEntry[];

/** The knobs as a list, in the table's order. */
export const KNOBS: Knob[] = entries.map(([key, { default: _, ...row }]) => ({ key, ...row }));

/** Defaults shared by every method, from the table; methods and presets override some (see methods.ts, presets.ts). */
export const BASE_DEFAULTS: DistillConfig = Object.fromEntries(entries.map(([key, row]) => [key, row.default])) as unknown as DistillConfig;

/** The threshold knobs, added with SWITCH's reading. */
export type ThresholdKnobs = Pick<DistillConfig, 'tauDecay' | 'tauShape' | 'tauLambda' | 'triggerDivergence' | 'tauMode' | 'tau0'>;

/**
 * The values of the threshold knobs every run made before them had (a link of version 1, a saved
 * run without them): τ decayed over training steps, one value for all positions, the trigger
 * compared the loss's divergence, and τ0 was by default the 0.8 quantile of a warm-up rollout's
 * (raw: 1 nat).
 */
export function earlierReading(c: Partial<Pick<DistillConfig, 'divergence'>>): ThresholdKnobs {
  return { tauDecay: 'step', tauShape: KNOB_TABLE.tauShape.default, tauLambda: KNOB_TABLE.tauLambda.default, triggerDivergence: c.divergence ?? KNOB_TABLE.divergence.default, tauMode: 'auto', tau0: 1 };
}

export class KnobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KnobError';
  }
}

export function knob(key: string): Knob | undefined {
  return KNOBS.find((k) => k.key === key);
}

/** What a knob accepts, for error messages and --help. */
export function describeValid(k: Knob<string>, presets: readonly string[] = []): string {
  if (k.kind === 'choice') return `one of ${(k.key === 'preset' ? presets : k.choices ?? []).join(', ')}`;
  if (k.kind === 'list') return `a comma-separated list of ${(k.choices ?? []).join(', ')}`;
  return `${k.kind === 'int' ? 'an integer' : 'a number'} in [${k.min}, ${k.max}]`;
}

export type KnobValue = DistillConfig[keyof DistillConfig];

/** A knob's text read: its value (and whether it had to be clamped into range), or why it was refused. */
export type KnobReading = { value: KnobValue; clamped: boolean; error?: undefined } | { error: string };

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/**
 * Reads one knob's text — the one parser of the CLI, the knob panel and links. `strict` refuses
 * anything out of range or not of the knob's kind; `clamp` (links, which are untrusted and may
 * come from another version) rounds integers and clamps numbers into range, saying so.
 */
export function readKnob(k: Knob<string>, text: string, mode: 'strict' | 'clamp', presets: readonly string[] = []): KnobReading {
  const t = text.trim();
  switch (k.kind) {
    case 'int':
    case 'number': {
      if (!NUMBER.test(t)) return { error: 'not a number' };
      const v = Number(t);
      if (!Number.isFinite(v)) return { error: 'not a finite number' };
      if (mode === 'strict') {
        if (k.kind === 'int' && !Number.isInteger(v)) return { error: 'not an integer' };
        if (v < k.min! || v > k.max!) return { error: `out of range [${k.min}, ${k.max}]` };
        return { value: v, clamped: false };
      }
      const c = Math.min(k.max!, Math.max(k.min!, k.kind === 'int' ? Math.round(v) : v));
      return { value: c, clamped: c !== v };
    }
    case 'choice': {
      const choices = k.key === 'preset' ? presets : (k.choices ?? []);
      return choices.includes(t) ? { value: t as never, clamped: false } : { error: `not one of ${choices.join(', ')}` };
    }
    case 'list': {
      const items = t.split(',').map((s) => s.trim()).filter(Boolean);
      const ok = items.length > 0 && items.every((i) => (k.choices ?? []).includes(i)) && new Set(items).size === items.length;
      return ok ? { value: items as never, clamped: false } : { error: `not a list of ${(k.choices ?? []).join(', ')}` };
    }
  }
}

/** Parses one knob's text strictly (CLI, knob panel) into its typed value, or throws KnobError saying what is valid. */
export function parseKnob(k: Knob<string>, text: string, presets: readonly string[] = []): KnobValue {
  const r = readKnob(k, text, 'strict', presets);
  if (r.error !== undefined) throw new KnobError(`${k.key}: ${JSON.stringify(text)} is not valid; expected ${describeValid(k, presets)}`);
  return r.value;
}

/** Checks a whole config against the table (types, ranges, choices) and cross-field rules. */
export function validateConfig(cfg: DistillConfig, presets: readonly string[]): void {
  for (const k of KNOBS) {
    const v = cfg[k.key];
    const text = Array.isArray(v) ? v.join(',') : String(v);
    parseKnob(k, text, presets);
  }
  if (cfg.tauMode === 'raw' && cfg.tauMin > cfg.tau0) throw new KnobError(`tauMin: ${cfg.tauMin} is above tau0 ${cfg.tau0}`);
}
