/**
 * Every knob of a distillation run (design §1), as one typed table that drives defaults,
 * validation, the CLI flags, the knob panel and the URL codec, all through one parser (readKnob).
 * A value outside its range or choices is refused with a message listing what is valid.
 */
import { DIVERGENCES, type DivergenceKind, LORA_TARGETS, type LoraTarget } from '../model/config';

export const METHODS = ['ft', 'lora', 'kd', 'sti', 'kd-lora', 'sti-lora', 'gkd', 'skd'] as const;
export type Method = (typeof METHODS)[number];
export const TRIGGERS = ['threshold', 'topk', 'none'] as const;
export type Trigger = (typeof TRIGGERS)[number];
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
  topK: number;
  sampleTemperature: number;
  // Threshold schedule τ(s) = τmin + (τ0 − τmin)·exp(−k·s/S).
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

/** Defaults shared by every method; methods and presets override some (see methods.ts, presets.ts). */
export const BASE_DEFAULTS: DistillConfig = {
  preset: 'tiny',
  method: 'sti-lora',
  steps: 200,
  batchSize: 16,
  lr: 3e-3,
  weightDecay: 0.01,
  warmupSteps: 10,
  minLrFrac: 0.1,
  gradClip: 1,
  divergence: 'fkl',
  beta: 0.5,
  skewAlpha: 0.1,
  temperature: 1,
  wOut: 1,
  wLayer: 0.1,
  alphaCe: 0,
  lambdaOnPolicy: 1,
  trigger: 'threshold',
  topK: 25,
  sampleTemperature: 1,
  tauMode: 'auto',
  q0: 0.8,
  tau0: 1,
  tauMin: 0.05,
  tauMinFrac: 0.05,
  tauK: 5,
  loraRank: 8,
  loraAlpha: 16,
  loraTargets: ['q', 'v'],
  loraDropout: 0,
  studentBlocks: 0,
  seedData: 1,
  seedInit: 2,
  seedSample: 3,
  evalEvery: 50,
  rankEvery: 10,
  heatmapEvery: 10,
};

export const KNOBS: Knob[] = [
  { key: 'preset', short: 'p', kind: 'choice', help: 'task, models and default knobs' },
  { key: 'method', short: 'm', kind: 'choice', choices: METHODS, help: 'which row of the paper table to train' },
  { key: 'steps', short: 's', kind: 'int', min: 1, max: 100000, help: 'training steps S' },
  { key: 'batchSize', short: 'b', kind: 'int', min: 1, max: 512, help: 'sequences per step' },
  { key: 'lr', short: 'lr', kind: 'number', min: 1e-7, max: 1, help: 'peak learning rate (AdamW)' },
  { key: 'weightDecay', short: 'wd', kind: 'number', min: 0, max: 1, help: 'decoupled weight decay' },
  { key: 'warmupSteps', short: 'wu', kind: 'int', min: 0, max: 100000, help: 'linear warm-up steps, then cosine decay' },
  { key: 'minLrFrac', short: 'mlr', kind: 'number', min: 0, max: 1, help: 'final learning rate as a fraction of the peak' },
  { key: 'gradClip', short: 'gc', kind: 'number', min: 0, max: 1000, help: 'clip the global gradient norm to this (0 = off)' },
  { key: 'divergence', short: 'd', kind: 'choice', choices: DIVERGENCES, help: 'teacher–student divergence D (trigger and loss)' },
  { key: 'beta', short: 'gb', kind: 'number', min: 0, max: 1, help: 'gjsd mixture weight β (0 = forward KL, 1 = reverse KL)' },
  { key: 'skewAlpha', short: 'sa', kind: 'number', min: 0, max: 0.99, help: 'skl skew α' },
  { key: 'temperature', short: 't', kind: 'number', min: 0.05, max: 20, help: 'KD temperature T (loss ×T²)' },
  { key: 'wOut', short: 'wo', kind: 'number', min: 0, max: 100, help: 'weight of the output-layer KD term' },
  { key: 'wLayer', short: 'wl', kind: 'number', min: 0, max: 100, help: 'weight of the layer-selective KD term' },
  { key: 'alphaCe', short: 'ce', kind: 'number', min: 0, max: 100, help: 'weight of cross-entropy on gold data' },
  { key: 'lambdaOnPolicy', short: 'lam', kind: 'number', min: 0, max: 1, help: 'fraction of batches that are student rollouts' },
  { key: 'trigger', short: 'tr', kind: 'choice', choices: TRIGGERS, help: 'when the teacher replaces a student token' },
  { key: 'topK', short: 'k', kind: 'int', min: 1, max: 100000, help: 'topk trigger: replace tokens outside the teacher top-K' },
  { key: 'sampleTemperature', short: 'st', kind: 'number', min: 0.05, max: 10, help: 'sampling temperature of rollouts' },
  { key: 'tauMode', short: 'tm', kind: 'choice', choices: TAU_MODES, help: 'auto: τ0 from a warm-up quantile; raw: τ0, τmin in nats' },
  { key: 'q0', short: 'q0', kind: 'number', min: 0, max: 1, help: 'auto: τ0 is this quantile of warm-up divergence' },
  { key: 'tau0', short: 't0', kind: 'number', min: 0, max: 1000, help: 'raw: initial threshold τ0 (nats)' },
  { key: 'tauMin', short: 'tmin', kind: 'number', min: 0, max: 1000, help: 'raw: final threshold τmin (nats)' },
  { key: 'tauMinFrac', short: 'tmf', kind: 'number', min: 0, max: 1, help: 'auto: τmin = this × τ0' },
  { key: 'tauK', short: 'tk', kind: 'number', min: 0, max: 100, help: 'decay rate k of τ(s)' },
  { key: 'loraRank', short: 'r', kind: 'int', min: 1, max: 256, help: 'LoRA rank r' },
  { key: 'loraAlpha', short: 'la', kind: 'number', min: 0.01, max: 1024, help: 'LoRA α (scale α/r)' },
  { key: 'loraTargets', short: 'lt', kind: 'list', choices: LORA_TARGETS, help: 'matrices that get adapters' },
  { key: 'loraDropout', short: 'ld', kind: 'number', min: 0, max: 0.9, help: 'dropout on the adapter input' },
  { key: 'seedData', short: 'sd', kind: 'int', min: 0, max: 2 ** 31 - 1, help: 'seed of the training data order' },
  { key: 'seedInit', short: 'si', kind: 'int', min: 0, max: 2 ** 31 - 1, help: 'seed of weight/adapter initialisation' },
  { key: 'studentBlocks', short: 'sb', kind: 'int', min: 0, max: 128, help: 'blocks of the base the student keeps, spread evenly from the first (0 = every other block, DistilBERT-style)' },
  { key: 'seedSample', short: 'ss', kind: 'int', min: 0, max: 2 ** 31 - 1, help: 'seed of rollout sampling and dropout' },
  { key: 'evalEvery', short: 'ee', kind: 'int', min: 0, max: 100000, help: 'evaluate ROUGE-L every N steps (0 = only at the end)' },
  { key: 'rankEvery', short: 're', kind: 'int', min: 0, max: 100000, help: 'effective rank of LoRA ΔW every N steps (0 = off)' },
  { key: 'heatmapEvery', short: 'he', kind: 'int', min: 0, max: 100000, help: 'layer × position divergence every N steps (0 = off)' },
];

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
