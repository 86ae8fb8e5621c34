/**
 * Model configuration: the shape of a GPT-style transformer and of its LoRA adapters,
 * with validation that names the offending field.
 */

/** Matrices a LoRA adapter can be attached to (docs/method.md, "LoRA"). */
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'fc1', 'fc2'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  /** Rank r of ΔW = A·B. */
  rank: number;
  /** Scale numerator: ΔW is multiplied by alpha / rank. */
  alpha: number;
  /** Which projections get an adapter. */
  targets: LoraTarget[];
  /** Dropout on the adapter's input while training (0 = off). */
  dropout: number;
}

export interface ModelConfig {
  /** Number of token ids (the tokenizer's alphabet size). */
  vocabSize: number;
  /** Number of transformer blocks. */
  nLayer: number;
  /** Attention heads per block; must divide dModel. */
  nHead: number;
  /** Residual stream width C. */
  dModel: number;
  /** Hidden width of the MLP (usually 4·C). */
  dFF: number;
  /** Rows of the learned position table. */
  nPositions: number;
  /** Longest sequence the model is run on; at most nPositions. */
  contextLength: number;
  /** LayerNorm epsilon. */
  layerNormEps: number;
  /** Linear layers carry biases (GPT-2 and models imported from it); our own models have none. */
  bias?: boolean;
}

export const DEFAULT_LORA: LoraConfig = { rank: 8, alpha: 16, targets: ['q', 'v'], dropout: 0 };

/** An error in a configuration, naming the field at fault. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

function positiveInt(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(field, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
}

/** Fills defaults (dFF = 4·C, context = position table, eps = 1e-5) and validates. */
export function modelConfig(partial: Partial<ModelConfig> & Pick<ModelConfig, 'vocabSize' | 'nLayer' | 'nHead' | 'dModel'>): ModelConfig {
  const cfg: ModelConfig = {
    dFF: 4 * partial.dModel,
    nPositions: 128,
    layerNormEps: 1e-5,
    ...partial,
    contextLength: partial.contextLength ?? partial.nPositions ?? 128,
  };
  validateModelConfig(cfg);
  return cfg;
}

/** Throws a ConfigError naming the first invalid field. */
export function validateModelConfig(cfg: ModelConfig): void {
  if (cfg === null || typeof cfg !== 'object') throw new ConfigError('config', 'must be an object');
  for (const f of ['vocabSize', 'nLayer', 'nHead', 'dModel', 'dFF', 'nPositions', 'contextLength'] as const) {
    positiveInt(f, cfg[f]);
  }
  if (cfg.dModel % cfg.nHead !== 0) {
    throw new ConfigError('nHead', `${cfg.nHead} heads do not divide dModel ${cfg.dModel}`);
  }
  if (cfg.contextLength > cfg.nPositions) {
    throw new ConfigError(
      'contextLength',
      `${cfg.contextLength} is longer than the position table (nPositions ${cfg.nPositions})`,
    );
  }
  if (typeof cfg.layerNormEps !== 'number' || !(cfg.layerNormEps > 0) || !Number.isFinite(cfg.layerNormEps)) {
    throw new ConfigError('layerNormEps', `must be a positive number, got ${JSON.stringify(cfg.layerNormEps)}`);
  }
  if (cfg.bias !== undefined && typeof cfg.bias !== 'boolean') throw new ConfigError('bias', `must be true or false, got ${JSON.stringify(cfg.bias)}`);
}

/** Throws a ConfigError naming the first invalid LoRA field. */
export function validateLoraConfig(lora: LoraConfig): void {
  if (lora === null || typeof lora !== 'object') throw new ConfigError('lora', 'must be an object');
  positiveInt('lora.rank', lora.rank);
  if (typeof lora.alpha !== 'number' || !Number.isFinite(lora.alpha) || lora.alpha <= 0) {
    throw new ConfigError('lora.alpha', `must be a positive number, got ${JSON.stringify(lora.alpha)}`);
  }
  if (!Array.isArray(lora.targets) || lora.targets.length === 0) {
    throw new ConfigError('lora.targets', `must list at least one of ${LORA_TARGETS.join(', ')}`);
  }
  for (const t of lora.targets) {
    if (!(LORA_TARGETS as readonly string[]).includes(t)) {
      throw new ConfigError('lora.targets', `unknown target ${JSON.stringify(t)}; valid: ${LORA_TARGETS.join(', ')}`);
    }
  }
  if (new Set(lora.targets).size !== lora.targets.length) {
    throw new ConfigError('lora.targets', `lists a target twice: ${lora.targets.join(',')}`);
  }
  if (typeof lora.dropout !== 'number' || !(lora.dropout >= 0 && lora.dropout < 1)) {
    throw new ConfigError('lora.dropout', `must be in [0, 1), got ${JSON.stringify(lora.dropout)}`);
  }
}

/** Width of the input (rows) and output (columns) of a LoRA target's base matrix. */
export function targetShape(cfg: ModelConfig, target: LoraTarget): [number, number] {
  const C = cfg.dModel;
  switch (target) {
    case 'q':
    case 'k':
    case 'v':
    case 'o':
      return [C, C];
    case 'fc1':
      return [C, cfg.dFF];
    case 'fc2':
      return [cfg.dFF, C];
  }
}
