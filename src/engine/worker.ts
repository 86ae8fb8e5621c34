/// <reference lib="webworker" />
/** Entry of the engine's dedicated module worker: owns tfjs and every tensor. */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from './backend';
import { benchRow } from './bench';
import { installGpuCounters } from './gpu-counters';
import { browserFiles } from './browser-host';
import { type Host, createHost, importedHost } from '../distill/host';
import { type LoadedImport, importModel } from './model-import';
import type { GpuLimits } from '../model/memory';
import { type TableJob, paperJob, resourcesJob } from './paper-job';
import { transferables } from '../protocol/step-batch';
import { PROTOCOL_VERSION, type EngineEvent, type EngineRequest, type RequestEnvelope, type ResponseEnvelope, type UserText } from '../protocol/messages';
import { distillParity, gradientParity } from './selfcheck';
import { RunSession } from './session';

const scope = self as unknown as DedicatedWorkerGlobalScope;
// Step batches' typed arrays are transferred, not copied.
const emit = (event: EngineEvent) => scope.postMessage({ v: PROTOCOL_VERSION, event } satisfies ResponseEnvelope, event.kind === 'steps' ? transferables(event.batch) : []);
/** The person's own text for the your-text preset, as the page last sent it. */
let userText: UserText | null = null;
const progress = (what: string, done: number, of: number) => emit({ kind: 'progress', what, done, of });
const files = browserFiles(new URL(import.meta.env.BASE_URL, scope.location.origin).href, progress, () => userText);
const shippedHost = createHost(files);
/** A model the person brought in: runs then use it as teacher and base (importedHost). */
let imported: LoadedImport | null = null;
const host = (): Host => (imported ? importedHost(files, imported.model) : shippedHost);
let session: RunSession | null = null;
let paper: TableJob | null = null;

/** Ends the run and the paper table, if any: the engine does one thing at a time. */
async function idle(): Promise<void> {
  if (paper) await paper.stop();
  paper = null;
  if (session) await session.dispose();
  session = null;
}

/** Set when the user asked to simulate a loss: then a 'destroyed' device counts as lost. */
let simulatedLoss = false;

function gpuDevice(): GPUDevice | null {
  return tf.getBackend() === 'webgpu' ? ((tf.backend() as unknown as { device?: GPUDevice }).device ?? null) : null;
}

/**
 * A lost WebGPU device (driver reset, GPU removed) stops the run and is reported; the page keeps
 * the settings and the metrics so far, and restarts the engine in a fresh worker (a fresh device).
 */
function watchDevice(): void {
  const device = gpuDevice();
  if (!device) return;
  void device.lost.then((info) => {
    if (info.reason === 'destroyed' && !simulatedLoss) return; // we disposed it ourselves
    const message = `The GPU device was lost (${info.message || info.reason}).`;
    if (session) emit({ kind: 'status', status: 'failed', done: session.done, message: `${message} The run stopped at step ${session.done}.` });
    emit({ kind: 'deviceLost', message });
  });
}

function current(): RunSession {
  if (!session) throw new Error('no run is prepared');
  return session;
}

async function handle(req: EngineRequest): Promise<unknown> {
  switch (req.type) {
    case 'init': {
      await idle();
      const info = await selectBackend(req.backend);
      watchDevice();
      return info;
    }
    case 'selfCheck': {
      if (session) await session.pause();
      if (paper) await paper.stop();
      paper = null;
      const active = tf.getBackend();
      return { gradients: await gradientParity(active, 'cpu', req.tolerance), distill: req.quick ? null : await distillParity(active, 'cpu') };
    }
    case 'prepare':
      await idle();
      session = await RunSession.prepare(req.config, host(), emit);
      return null;
    case 'play':
      current().play();
      return null;
    case 'pause':
      await current().pause();
      return null;
    case 'step':
      await current().stepOnce();
      return null;
    case 'reset':
      await idle();
      return null;
    case 'paperTable':
      await idle();
      paper = paperJob(req.plan, host(), emit);
      return null;
    case 'resources':
      await idle();
      paper = resourcesJob(req.plan, host(), emit);
      return null;
    case 'loseDevice': {
      const device = gpuDevice();
      if (!device) throw new Error('there is no WebGPU device to lose: the backend is not webgpu');
      if (session) await session.pause();
      simulatedLoss = true;
      device.destroy();
      return null;
    }
    case 'paperStop':
      if (paper) await paper.stop();
      paper = null;
      return null;
    case 'export':
      return current().exportWeights();
    case 'loadWeights':
      return current().loadWeights(req.bytes, req.name);
    case 'importModel': {
      await idle();
      const device = gpuDevice();
      // Only a GPU binds buffers: on the CPU backends nothing is too large for one.
      const limits: GpuLimits = device ? { maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, maxBufferSize: device.limits.maxBufferSize } : { maxStorageBufferBindingSize: Infinity, maxBufferSize: Infinity };
      const loaded = await importModel(req.source, progress, limits); // throws, naming what is wrong: the import before stays
      if (loaded.info.memory.problems.length) throw new Error(`${loaded.info.origin} will not fit this GPU: ${loaded.info.memory.problems.join('; ')}`);
      imported = loaded;
      return loaded.info;
    }
    case 'clearImport':
      await idle();
      imported = null;
      return null;
    case 'exportHf':
      return current().exportHf();
    case 'userText':
      userText = { name: req.name, train: req.train, test: req.test };
      return null;
    case 'bench': {
      await idle();
      installGpuCounters();
      const { type: _type, ...bench } = req;
      return benchRow(bench, host());
    }
  }
}

// Requests are handled one after another, in arrival order: the engine holds one GPU context.
// A running session steps outside this queue, so pause and reset get through between steps.
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
