/**
 * Main-thread client of the engine worker: one promise per request, answered in order.
 * Cancelling (an AbortSignal) terminates the worker, the only reliable way to stop GPU work;
 * the next request starts a fresh one. Imports no tfjs.
 */
import { PROTOCOL_VERSION, type EngineReply, type EngineRequest, type RequestEnvelope, type ResponseEnvelope, type EngineEvent } from '../protocol/messages';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class EngineClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private listeners = new Set<(e: EngineEvent) => void>();

  /** Subscribes to the run's events (progress, metrics, status); returns the unsubscribe. */
  onEvent(fn: (e: EngineEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'kd-engine' });
    w.onmessage = (ev: MessageEvent<ResponseEnvelope>) => {
      const msg = ev.data;
      if ('event' in msg) {
        for (const fn of this.listeners) fn(msg.event);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      this.fail(new Error(`the engine worker crashed: ${ev.message || 'unknown error'}`));
    };
    this.worker = w;
    return w;
  }

  private fail(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.worker?.terminate();
    this.worker = null;
  }

  request<R extends EngineRequest>(request: R, signal?: AbortSignal): Promise<EngineReply<R>> {
    if (signal?.aborted) return Promise.reject(new DOMException('cancelled', 'AbortError'));
    const w = this.start();
    const id = this.nextId++;
    return new Promise<EngineReply<R>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      signal?.addEventListener('abort', () => this.fail(new DOMException('cancelled', 'AbortError') as Error), { once: true });
      const env: RequestEnvelope = { v: PROTOCOL_VERSION, id, request };
      w.postMessage(env);
    });
  }

  dispose(): void {
    this.fail(new Error('engine closed'));
  }
}
