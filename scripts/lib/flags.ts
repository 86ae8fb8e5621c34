/** The flags of every Node script, in the form scripts/lib/cli.ts reads (the run's knobs come from src/config/knobs.ts). */
import { ABLATION_NAMES } from '../../src/config/ablations';
import { PAPER_SEEDS_MAX } from '../../src/config/paper-plan';
import { PRESET_NAMES, PRETRAINED_BASES } from '../../src/config/presets';
import { type DistillConfig, METHODS } from '../../src/config/knobs';
import { KERNEL_SETS } from '../../src/model/fused';
import { type FlagSpec, backendFlag, kernelsFlag } from './cli';

const preset = (help: string): FlagSpec & { required: true } => ({ kind: 'choice', choices: PRESET_NAMES, required: true, help });

/** --verify / --record with --stop-after: re-run (or record) a recipe's first losses. */
const CHECK = {
  verify: { kind: 'string', path: 'file', help: "re-run the recipe's first steps and compare their losses with this CSV (writes nothing)" },
  record: { kind: 'string', help: "write the recipe's first losses on this backend to this CSV (writes nothing else)" },
  'stop-after': { kind: 'int', min: 1, max: 100000, default: '20', help: 'steps that --verify or --record run' },
} as const satisfies Record<string, FlagSpec>;

/** A Hugging Face GPT-2 folder as a run's teacher (and base). */
const IMPORTED = {
  teacher: { kind: 'string', path: 'folder', help: "a Hugging Face GPT-2 folder (config.json, model.safetensors, tokenizer.json): the teacher, and the base of the student and of ft / lora; the preset's data goes through its tokenizer" },
  base: { kind: 'string', path: 'folder', help: 'with --teacher: another Hugging Face folder (same tokenizer) as the base of the student and of ft / lora' },
} as const satisfies Record<string, FlagSpec>;

export const DISTILL_FLAGS = {
  backend: backendFlag('wasm'),
  kernels: kernelsFlag,
  ...IMPORTED,
  json: { kind: 'string', help: 'write {config, base, teacher, layerMap, tau0, evals, steps, final} to this file' },
  export: { kind: 'string', help: 'write the trained model as Hugging Face folders here: student/ (GPT-2; for LoRA runs the model the adapter sits on), adapter/ (PEFT) and merged/' },
  quiet: { kind: 'bool', help: 'no progress line' },
} as const satisfies Record<string, FlagSpec>;

export const PAPER_TABLE_FLAGS = {
  preset: preset('the preset whose table to make'),
  steps: { kind: 'int', min: 1, max: 100000, help: "steps of every run (default: the preset's)" },
  seeds: { kind: 'int', min: 1, max: PAPER_SEEDS_MAX, default: '3', help: 'seeds per method' },
  methods: { kind: 'list', choices: METHODS, help: 'a subset of the rows (default: all eight)' },
  backend: backendFlag('wasm'),
  kernels: kernelsFlag,
  ...IMPORTED,
  out: { kind: 'string', help: 'write P.md, P.json and the position chart to this folder (again after every finished run)' },
  resume: { kind: 'bool', help: 'continue a stopped table from DIR/P.json: keep its finished runs, run only what is missing' },
  merge: { kind: 'string', path: 'files', help: 'build the table (with --out) from these P.json files, parts made with disjoint --methods and the same budget, instead of running it' },
  check: { kind: 'string', path: 'file', help: "re-run the rows and compare their quality with this P.json instead of writing (exit 1 above --tolerance)" },
  tolerance: { kind: 'number', min: 0, max: 1e9, default: '0', help: 'largest difference --check accepts' },
  resources: { kind: 'bool', help: 'measure resources instead (DIR/P-resources.md, .json): per method the peak of a step by part and the deployed model\'s ms/token; no quality' },
  batchSize: { kind: 'int', min: 1, max: 4096, help: "with --resources: sequences per step (default: the preset's)" },
} as const satisfies Record<string, FlagSpec>;

export const ABLATION_FLAGS = {
  preset: preset('the preset to run the rows on'),
  ablation: { kind: 'choice', choices: ABLATION_NAMES, required: true, help: 'which set of rows (src/config/ablations.ts)' },
  rows: { kind: 'string', help: 'a subset of the rows, by id, comma-separated (default: all)' },
  steps: { kind: 'int', min: 1, max: 100000, help: "steps of every run (default: the preset's)" },
  seeds: { kind: 'int', min: 1, max: PAPER_SEEDS_MAX, default: '3', help: 'seeds per row' },
  backend: backendFlag('wasm'),
  kernels: kernelsFlag,
  out: { kind: 'string', required: true, help: 'write P-NAME.md, .json and the position chart to this folder' },
  resume: { kind: 'bool', help: 'continue from DIR/P-NAME.json: keep its finished runs, run only what is missing' },
} as const satisfies Record<string, FlagSpec>;

export const FINETUNE_FLAGS = {
  preset: preset("the preset whose teacher (or base) to make"),
  what: { kind: 'choice', choices: ['teacher', 'base'], default: 'teacher', help: "the preset's ft teacher, or its base when the base is a recipe" },
  phase: { kind: 'int', min: 1, max: 100, help: 'make (or check) only this phase of the recipe, from the file of the phase before' },
  backend: backendFlag('wasm'),
  out: { kind: 'string', default: 'public/models', help: 'folder of the checkpoint files' },
  rescore: { kind: 'bool', help: "evaluate the files the recipe wrote again on the preset's test set and rewrite their recorded evaluations (no training)" },
  ...CHECK,
} as const satisfies Record<string, FlagSpec>;

export const PRETRAIN_FLAGS = {
  config: { kind: 'choice', choices: Object.keys(PRETRAINED_BASES), required: true, help: 'the base architecture' },
  steps: { kind: 'int', min: 1, max: 1000000, required: true, help: 'training steps' },
  seed: { kind: 'int', min: 0, max: 2 ** 31 - 1, default: '1', help: 'seed of the initialisation and data order' },
  batch: { kind: 'int', min: 1, max: 512, default: '8', help: 'windows per step' },
  lr: { kind: 'number', min: 1e-7, max: 1, default: '3e-3', help: 'peak learning rate' },
  every: { kind: 'int', min: 0, max: 1000000, default: '100', help: 'validation loss every this many steps (0: only at the end)' },
  backend: backendFlag('wasm'),
  out: { kind: 'string', default: 'public/models', help: 'folder of the checkpoint files' },
  ...CHECK,
} as const satisfies Record<string, FlagSpec>;

export const EVAL_CHECKPOINT_FLAGS = {
  backend: backendFlag('wasm'),
  preset: { kind: 'choice', choices: PRESET_NAMES, help: "evaluate on this preset's test set instead of the checkpoint's own" },
  text: { kind: 'string', path: 'file', help: "a Hugging Face model folder: the mean NLL per token of this text file, tokenised by the model's own tokenizer" },
  adapter: { kind: 'string', path: 'folder', help: 'with --text: a PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) applied to the model first' },
} as const satisfies Record<string, FlagSpec>;

/** npm run bench: the rows to time (presets × methods × kernel sets) and how. */
export const BENCH_FLAGS = {
  presets: { kind: 'list', choices: PRESET_NAMES, default: 'tiny', help: 'presets to time' },
  methods: { kind: 'list', choices: METHODS, default: 'ft,kd-lora,sti-lora', help: 'methods to time' },
  backend: backendFlag('webgpu'),
  kernels: { kind: 'list', choices: KERNEL_SETS, default: 'fused,reference', help: 'kernel sets to time (rows for each)' },
  steps: { kind: 'int', min: 1, max: 1000, default: '5', help: 'timed steps per row (the median is reported)' },
  warmup: { kind: 'int', min: 0, max: 100, default: '2', help: 'untimed steps first (shader compilation, buffer pool)' },
  rollouts: { kind: 'int', min: 0, max: 100, default: '3', help: 'timed rollouts per on-policy row (0: skip)' },
  'submit-batch': { kind: 'int', min: 1, max: 100000, help: "tfjs-webgpu's WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: dispatches recorded before a queue submit (tfjs default 15)" },
  json: { kind: 'string', help: 'write the rows (and the adapter) to this file' },
  attention: { kind: 'string', help: 'instead: causal attention forward + backward at B x T x H x hd (e.g. 1x1024x12x64, GPT-2 small), one row per --kernels' },
  compare: { kind: 'choice', choices: ['nanogpt'], help: 'instead: a plain GPT step and generation of ours and of @genai-fi/nanogpt, side by side on this adapter' },
  'gen-tokens': { kind: 'int', min: 1, max: 64, default: '32', help: 'with --compare: tokens per timed generation' },
} as const satisfies Record<string, FlagSpec>;

/**
 * The presets and methods a bench times: --presets / --methods, or a single --preset / --method
 * (the run's knobs, which every script takes) — they name the rows, not a knob the rows would
 * override. Both forms at once is an error.
 */
export function benchGrid(flags: { presets: string[]; methods: string[] }, knobs: Partial<DistillConfig>, given: (name: 'presets' | 'methods') => boolean): { presets: string[]; methods: string[]; knobs: Partial<DistillConfig> } {
  const { preset, method, ...rest } = knobs;
  if (preset !== undefined && given('presets')) throw new Error('give --preset P or --presets a,b, not both');
  if (method !== undefined && given('methods')) throw new Error('give --method M or --methods a,b, not both');
  return { presets: preset !== undefined ? [preset] : flags.presets, methods: method !== undefined ? [method] : flags.methods, knobs: rest };
}
