/**
 * The typed, versioned messages between the main thread and the engine worker. Only plain data
 * crosses this boundary: never tensors.
 */
import type { DistillConfig } from '../distill/config';
import type { PaperPlan } from '../distill/paper-plan';
import type { BackendInfo, BackendName } from './backend-info';
import type { DistillParityReport, ParityReport } from './selfcheck';
import type { SessionEvent } from './session';
import type { PaperEvent } from './paper-job';

export type { PaperEvent, SessionEvent };
/** Everything the worker tells the page without being asked. */
export type EngineEvent = SessionEvent | PaperEvent | { kind: 'deviceLost'; message: string };

export const PROTOCOL_VERSION = 1;

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
  /** Continues the prepared run from weights it downloaded before; replies with their step. */
  | { type: 'loadWeights'; bytes: Uint8Array; name: string }
  /** A user's text (checked and normalised on the main thread) for the your-text preset. */
  | { type: 'userText'; name: string; train: string; test: string }
  /** Starts the paper table (the eight methods over seeds) in the background; ends any run. */
  | { type: 'paperTable'; plan: PaperPlan }
  /** Stops the paper table after the step under way. */
  | { type: 'paperStop' }
  /** Destroys the WebGPU device as a driver reset would, to show (and test) the recovery. */
  | { type: 'loseDevice' };

export type EngineReply<R extends EngineRequest> = R extends { type: 'init' }
  ? BackendInfo
  : R extends { type: 'selfCheck' }
    ? SelfCheckReport
    : R extends { type: 'export' }
      ? ExportedWeights
      : R extends { type: 'loadWeights' }
        ? number
        : null;

export interface ExportedWeights {
  model: Uint8Array;
  adapter: Uint8Array | null;
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
