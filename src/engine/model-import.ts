/**
 * A Hugging Face model brought into the browser (inside the engine worker): fetched by Hub id from
 * `<base>/<id>/resolve/main/<file>` (https://huggingface.co, or a mirror or a local static server)
 * with its progress reported and kept in the browser's Cache Storage, so a reload does not fetch it
 * again — or given as the person's own files. Checked as the command line checks a folder
 * (src/distill/hf.ts); what is wrong is named and nothing else changes.
 */
import type { ImportedModel } from '../distill/host';
import { HF_FILES, readHfFolder } from '../distill/hf';
import { disposeModel, studentLayers } from '../distill/models';
import { type GpuLimits, WEBGPU_DEFAULT_LIMITS } from '../model/memory';
import { stepMemory } from '../distill/step-memory';
import type { ImportedModelInfo, ModelSource } from '../protocol/messages';

export const HF_DEFAULT_BASE = 'https://huggingface.co';
const CACHE = 'kd-playground-models';
const OPTIONAL = [HF_FILES.tokenizerConfig];

/** A Hub id: `name` or `owner/name` of letters, digits, '-', '_' and '.'. */
const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

function hubUrl(base: string, id: string, file: string): string {
  if (!HUB_ID.test(id)) throw new Error(`"${id}" is not a Hugging Face model id (owner/name, e.g. openai-community/gpt2)`);
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new Error(`"${base}" is not a URL (the base the files are fetched from, e.g. ${HF_DEFAULT_BASE})`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`"${base}" is not an http(s) URL`);
  return `${base.replace(/\/+$/, '')}/${id}/resolve/main/${file}`;
}

async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(CACHE);
  } catch {
    return null; // an opaque origin or storage off: fetch every time
  }
}

/** A file's bytes: from the cache, else fetched with progress (null on 404); kept in the cache when it came whole. */
async function fetchFile(url: string, progress: (done: number, of: number) => void, cache: Cache | null): Promise<Uint8Array | null> {
  const hit = await cache?.match(url);
  if (hit) return new Uint8Array(await hit.arrayBuffer());
  let r: Response;
  try {
    r = await fetch(url);
  } catch (e) {
    throw new Error(`could not reach ${url} (${(e as Error).message}): check the id and the base URL, and that the server allows this page (CORS)`);
  }
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${url} answered HTTP ${r.status}${r.status === 401 || r.status === 403 ? ' (a gated or private model: not supported)' : ''}`);
  const of = Number(r.headers.get('content-length') ?? 0);
  const parts: Uint8Array[] = [];
  let done = 0;
  const reader = r.body?.getReader();
  if (!reader) parts.push(new Uint8Array(await r.arrayBuffer()));
  else {
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) break;
      parts.push(value);
      done += value.length;
      progress(done, of);
    }
  }
  const bytes = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) bytes.set(p, (at += p.length) - p.length);
  if (of && bytes.length !== of) throw new Error(`${url} came short: ${bytes.length} of ${of} bytes`);
  await cache?.put(url, new Response(bytes.slice(), { headers: { 'content-type': 'application/octet-stream' } })).catch(() => undefined);
  return bytes;
}

/** The folder's files by name, from the Hub (or a mirror) or the person's files. */
async function sourceFiles(src: ModelSource, progress: (what: string, done: number, of: number) => void): Promise<{ where: string; files: Map<string, Uint8Array> }> {
  if (src.kind === 'files') {
    const files = new Map(src.files.map((f) => [f.name.split('/').pop()!, f.bytes]));
    return { where: 'the files given', files };
  }
  const base = src.base || HF_DEFAULT_BASE;
  const cache = await openCache();
  const files = new Map<string, Uint8Array>();
  for (const name of [HF_FILES.config, HF_FILES.tokenizer, ...OPTIONAL, HF_FILES.weights]) {
    const bytes = await fetchFile(hubUrl(base, src.id, name), (done, of) => progress(`fetching ${src.id}/${name}`, done, of), cache);
    if (bytes) files.set(name, bytes);
  }
  if (!files.has(HF_FILES.weights) && (await fetchFile(hubUrl(base, src.id, 'model.safetensors.index.json'), () => {}, null))) files.set('model.safetensors.index.json', new Uint8Array());
  return { where: `${src.id} (${base})`, files };
}

export interface LoadedImport {
  model: ImportedModel;
  info: ImportedModelInfo;
}

/** Fetches or reads the files, checks them by reading the model once, and sums up what a run on it holds. */
export async function importModel(src: ModelSource, progress: (what: string, done: number, of: number) => void, limits: GpuLimits = WEBGPU_DEFAULT_LIMITS): Promise<LoadedImport> {
  const { where, files } = await sourceFiles(src, progress);
  const names = [...files.keys()];
  const model: ImportedModel = { origin: `Hugging Face ${where}`, read: () => readHfFolder(where, { names, read: async (n) => files.get(n) ?? null }) };
  const { model: m, tokenizer } = await model.read();
  try {
    const c = m.config;
    const student = { ...c, nLayer: studentLayers(c.nLayer).length }; // as studentFromBase cuts it
    const seq = Math.min(128, c.contextLength);
    const mem = stepMemory(c, student, { batch: 4, seq, lora: { rank: 8, targets: ['q', 'v'] } }, limits);
    const bytes = [...files.values()].reduce((a, b) => a + b.length, 0);
    return {
      model,
      info: { origin: model.origin, nLayer: c.nLayer, dModel: c.dModel, nHead: c.nHead, vocabSize: c.vocabSize, tokenizerVocab: tokenizer.vocabSize, contextLength: c.contextLength, fileBytes: bytes, memory: mem, estimateFor: `sti-lora, batch 4 × ${seq} tokens, LoRA r = 8 on q, v` },
    };
  } finally {
    disposeModel(m);
  }
}
