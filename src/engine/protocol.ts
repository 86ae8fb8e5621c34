/**
 * The typed, versioned messages between the main thread and the engine worker. Only plain data
 * crosses this boundary: never tensors.
 */
import type { BackendInfo, BackendName } from './backend-info';
import type { DistillParityReport, ParityReport } from './selfcheck';

export const PROTOCOL_VERSION = 1;

export type EngineRequest =
  | { type: 'init'; backend?: BackendName }
  | { type: 'selfCheck'; tolerance?: number };

export type EngineReply<R extends EngineRequest> = R extends { type: 'init' }
  ? BackendInfo
  : R extends { type: 'selfCheck' }
    ? SelfCheckReport
    : never;

/** The backend self-check: gradients of one step, and a few whole distillation steps. */
export interface SelfCheckReport {
  gradients: ParityReport;
  distill: DistillParityReport;
}

/** Main thread → worker. */
export interface RequestEnvelope {
  v: typeof PROTOCOL_VERSION;
  id: number;
  request: EngineRequest;
}

/** Worker → main thread: a reply to request `id`, or an error. */
export type ResponseEnvelope =
  | { v: typeof PROTOCOL_VERSION; id: number; ok: true; result: unknown }
  | { v: typeof PROTOCOL_VERSION; id: number; ok: false; error: string };
