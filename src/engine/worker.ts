/// <reference lib="webworker" />
/** Entry of the engine's dedicated module worker: owns tfjs and every tensor. */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backend';
import { PROTOCOL_VERSION, type EngineRequest, type RequestEnvelope, type ResponseEnvelope } from './protocol';
import { distillParity, gradientParity } from './selfcheck';

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function handle(req: EngineRequest): Promise<unknown> {
  switch (req.type) {
    case 'init':
      return selectBackend(req.backend);
    case 'selfCheck': {
      const active = tf.getBackend();
      return { gradients: await gradientParity(active, 'cpu', req.tolerance), distill: await distillParity(active, 'cpu') };
    }
  }
}

// Requests run one after another, in arrival order: the engine holds one GPU context.
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (ev: MessageEvent<RequestEnvelope>) => {
  const { id, v, request } = ev.data;
  queue = queue.then(async () => {
    let reply: ResponseEnvelope;
    if (v !== PROTOCOL_VERSION) {
      reply = { v: PROTOCOL_VERSION, id, ok: false, error: `protocol version ${v} is not supported (worker speaks ${PROTOCOL_VERSION})` };
    } else {
      try {
        reply = { v: PROTOCOL_VERSION, id, ok: true, result: await handle(request) };
      } catch (e) {
        reply = { v: PROTOCOL_VERSION, id, ok: false, error: e instanceof Error ? e.message : String(e) };
      }
    }
    scope.postMessage(reply);
  });
};
