/**
 * The typed, versioned messages between the main thread and the engine worker. Only plain data
 * crosses this boundary, never tensors; every type a message carries is defined in this folder
 * (or is a run's config), so neither side's implementation shapes the other's.
 */
import type { BenchRequest, BenchRow } from './bench';
import type { DistillConfig, Method } from '../config/knobs';
import type { PaperPlan } from '../config/paper-plan';
import type { BackendInfo, BackendName } from './backend';
import type { EvalRecord, FinalRecord, PaperStatus, RunInfo, RunStatus } from './records';
import type { StepBatch } from './step-batch';
import type { ResourcePlan, ResourceRecord, StepMemory } from './resources';

export const PROTOCOL_VERSION = 1;

/** A person's text for the your-text preset, checked and normalised on the main thread. */
export interface UserText {
  name: string;
  train: string;
  test: string;
}

/** Where a model to import comes from: a Hugging Face Hub id (fetched from `base`, default https://huggingface.co), or files the person gave. */
export type ModelSource = { kind: 'hub'; id: string; base: string } | { kind: 'files'; files: { name: string; bytes: Uint8Array }[] };

/** An imported model, summed up before a run: its shape and what a run on it holds (an estimate). */
export interface ImportedModelInfo {
  origin: string;
  nLayer: number;
  dModel: number;
  nHead: number;
  vocabSize: number;
  tokenizerVocab: number;
  contextLength: number;
  fileBytes: number;
  memory: StepMemory;
  /** The run the memory estimate is for, in words. */
  estimateFor: string;
}

/** Events of the run the worker holds. */
export type SessionEvent =
  | { kind: 'progress'; what: string; done: number; of: number }
  | { kind: 'prepared'; info: RunInfo }
  /** Step records packed into typed arrays (step-batch.ts); `done` counts the steps completed so far. */
  | { kind: 'steps'; batch: StepBatch; done: number }
  | { kind: 'eval'; record: EvalRecord }
  | { kind: 'final'; record: FinalRecord }
  | { kind: 'status'; status: RunStatus; done: number; message?: string };

/** Events of the paper table the worker runs. */
export type PaperEvent =
  | { kind: 'paperStep'; method: Method; seed: number; done: number; of: number }
  | { kind: 'paperRun'; method: Method; seed: number; final: FinalRecord }
  | { kind: 'paperStatus'; status: PaperStatus; message?: string }
  /** The resources table (src/distill/resources.ts): a method started, its figures, and the job's status. */
  | { kind: 'resourcesStart'; method: Method }
  | { kind: 'resourcesRow'; row: ResourceRecord }
  | { kind: 'resourcesStatus'; status: PaperStatus; message?: string };

/** Everything the worker tells the page without being asked. */
export type EngineEvent = SessionEvent | PaperEvent | { kind: 'deviceLost'; message: string };

export type EngineRequest =
  | { type: 'init'; backend?: BackendName }
  /** quick: the gradient check only (run at start); otherwise also three distillation steps. */
  | { type: 'selfCheck'; tolerance?: number; quick?: boolean }
  /** Prepares a run (data, base, teacher, step-0 evaluation); replaces any run before it. */
  | { type: 'prepare'; config: DistillConfig }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'reset' }
  /** The trained model as safetensors, and its LoRA adapter alone when it has one. */
  | { type: 'export' }
  /** Continues the prepared run from weights it downloaded before; replies with their `done`. */
  | { type: 'loadWeights'; bytes: Uint8Array; name: string }
  /** A user's text (checked and normalised on the main thread) for the your-text preset. */
  | ({ type: 'userText' } & UserText)
  /** Starts the paper table (the eight methods over seeds) in the background; ends any run. */
  | { type: 'paperTable'; plan: PaperPlan }
  /** Measures the resources table (the eight methods' memory by part and latency; no quality) in the background; ends any run. */
  | { type: 'resources'; plan: ResourcePlan }
  /** Stops the paper table or the resources table after the step under way. */
  | { type: 'paperStop' }
  /** Destroys the WebGPU device as a driver reset would, to show (and test) the recovery. */
  | { type: 'loseDevice' }
  /** One benchmark row (the bench page): ends any run, times steps, counts the GPU's work. */
  | ({ type: 'bench' } & BenchRequest)
  /** Brings a Hugging Face GPT-2 in (fetched, with progress events, or from files): later runs use it as their teacher and base. */
  | { type: 'importModel'; source: ModelSource }
  /** Back to the shipped models. */
  | { type: 'clearImport' }
  /** The trained model as Hugging Face folders (student/, and for LoRA runs adapter/ and merged/), file by file. */
  | { type: 'exportHf' };

export type EngineReply<R extends EngineRequest> = R extends { type: 'init' }
  ? BackendInfo
  : R extends { type: 'selfCheck' }
    ? SelfCheckReport
    : R extends { type: 'export' }
      ? ExportedWeights
      : R extends { type: 'loadWeights' }
        ? number
        : R extends { type: 'bench' }
          ? BenchRow
          : R extends { type: 'importModel' }
            ? ImportedModelInfo
            : R extends { type: 'exportHf' }
              ? HfFiles
              : null;

/** Files of Hugging Face folders by path (e.g. "student/config.json"). */
export type HfFiles = Record<string, Uint8Array>;

export interface ExportedWeights {
  model: Uint8Array;
  adapter: Uint8Array | null;
}

/** One training step's loss and gradients on a backend against a reference backend. */
export interface ParityReport {
  backend: string;
  reference: string;
  tensors: number;
  lossActive: number;
  lossReference: number;
  lossRelErr: number;
  /** Largest over tensors of max|g_active − g_ref| / max|g_ref|. */
  maxGradRelErr: number;
  worstTensor: string;
  ok: boolean;
  tolerance: number;
}

/** A few whole distillation steps on a backend against a reference backend. */
export interface DistillParityReport {
  backend: string;
  reference: string;
  steps: number;
  lossesActive: number[];
  lossesReference: number[];
  interventionActive: number[];
  interventionReference: number[];
  /** Largest relative difference of a step's loss. */
  maxLossRelErr: number;
  ok: boolean;
  tolerance: number;
}

/** The backend self-check: gradients of one step, and a few whole distillation steps. */
export interface SelfCheckReport {
  gradients: ParityReport;
  distill: DistillParityReport | null;
}

/** Main thread → worker. */
export interface RequestEnvelope {
  v: typeof PROTOCOL_VERSION;
  id: number;
  request: EngineRequest;
}

/** Worker → main thread: a reply to request `id`, or an error; or an event of the run. */
export type ResponseEnvelope =
  | { v: typeof PROTOCOL_VERSION; id: number; ok: true; result: unknown }
  | { v: typeof PROTOCOL_VERSION; id: number; ok: false; error: string }
  | { v: typeof PROTOCOL_VERSION; event: EngineEvent };
