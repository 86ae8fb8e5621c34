/**
 * Checkpoints: safetensors (written as F32; F16 and BF16 read too) plus a JSON config.
 *
 * safetensors layout: an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`,
 * then the raw little-endian data, offsets relative to its start. We also copy the model config
 * (and LoRA config) into `__metadata__`, so a file is self-describing.
 *
 * A file is refused, with a CheckpointError saying why, when it is truncated, its header is not
 * valid JSON, a tensor is not F32, F16 or BF16, offsets overlap or leave the file, a shape disagrees with its
 * byte size, or its tensors do not match the config (missing, unexpected or mis-shaped names).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type LoraConfig, type ModelConfig, validateLoraConfig, validateModelConfig } from './config';
import { type LoraAdapters, loraSpecs } from './lora';
import { type ParamSpec, type Weights, paramSpecs, sizeOf } from './params';
import type { Transformer } from './transformer';

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export interface RawTensor {
  shape: number[];
  data: Float32Array;
}

const MAX_HEADER = 100 * 1024 * 1024;
const FORMAT = 'kd-playground/1';

/** Encodes F32 tensors and string metadata as safetensors bytes. Names are written sorted. */
export function encodeSafetensors(tensors: Record<string, RawTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    if (t.data.length !== sizeOf(t.shape)) throw new CheckpointError(`tensor ${name}: ${t.data.length} values for shape [${t.shape}]`);
    const bytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name]!.data;
    for (let i = 0; i < d.length; i++, pos += 4) view.setFloat32(pos, d[i]!, true);
  }
  return out;
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** IEEE half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024); // subnormal
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** `n` little-endian values of `dtype` at `at`, as float32. */
function readFloats(view: DataView, at: number, n: number, dtype: string): Float32Array {
  const out = new Float32Array(n);
  if (dtype === 'F32') for (let i = 0; i < n; i++) out[i] = view.getFloat32(at + 4 * i, true);
  else if (dtype === 'F16') for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(at + 2 * i, true));
  else {
    const bits = new Uint32Array(out.buffer); // BF16 is the top half of a float32
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(at + 2 * i, true) << 16;
  }
  return out;
}

/** Decodes safetensors bytes (F32, F16 or BF16 tensors, read as float32), validating the structure. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, RawTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new CheckpointError(`file is truncated: ${bytes.length} bytes, a safetensors file has at least 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    throw new CheckpointError(`header length ${n} does not fit in the ${bytes.length}-byte file (truncated or not safetensors)`);
  }
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new CheckpointError(`header is not valid JSON (corrupt or not safetensors): ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new CheckpointError('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors: Record<string, RawTensor> = {};
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object') throw new CheckpointError('__metadata__ is not an object');
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') throw new CheckpointError(`tensor ${name}: entry is not an object`);
    const width = DTYPE_BYTES[e.dtype as string];
    if (!width) throw new CheckpointError(`tensor ${name}: dtype ${JSON.stringify(e.dtype)} is not supported (F32, F16, BF16)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CheckpointError(`tensor ${name}: bad shape ${JSON.stringify(e.shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1]) {
      throw new CheckpointError(`tensor ${name}: bad data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLen) throw new CheckpointError(`tensor ${name}: data [${begin}, ${end}) runs past the end of the file (${dataLen} data bytes): truncated`);
    const shape = e.shape as number[];
    if (end - begin !== sizeOf(shape) * width) throw new CheckpointError(`tensor ${name}: ${end - begin} bytes for shape [${shape}] (expected ${sizeOf(shape) * width})`);
    ranges.push([begin, end, name]);
    tensors[name] = { shape, data: readFloats(view, dataStart + begin, sizeOf(shape), e.dtype as string) };
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]![0] < ranges[i - 1]![1]) throw new CheckpointError(`tensors ${ranges[i - 1]![2]} and ${ranges[i]![2]} overlap`);
  }
  return { tensors, metadata };
}

/** Checks that a set of tensors is exactly what the specs call for. */
function matchSpecs(what: string, specs: ParamSpec[], tensors: Record<string, RawTensor>): void {
  const expected = new Set(specs.map((s) => s.name));
  for (const s of specs) {
    const t = tensors[s.name];
    if (!t) throw new CheckpointError(`${what} does not match its config: tensor ${s.name} is missing`);
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
      throw new CheckpointError(`${what} does not match its config: ${s.name} has shape [${t.shape}], config says [${s.shape}]`);
    }
  }
  for (const name of Object.keys(tensors)) {
    if (!expected.has(name)) throw new CheckpointError(`${what} does not match its config: unexpected tensor ${name}`);
  }
}

async function readAll(w: Weights): Promise<Record<string, RawTensor>> {
  const out: Record<string, RawTensor> = {};
  for (const [name, t] of Object.entries(w)) out[name] = { shape: [...t.shape], data: (await t.data()) as Float32Array };
  return out;
}

export interface SavedCheckpoint {
  /** safetensors bytes: base weights and, if any, unmerged LoRA tensors. */
  safetensors: Uint8Array;
  /** JSON text of {format, model, lora}: the same as the file's metadata. */
  configJson: string;
}

/**
 * Serialises a model (base weights + LoRA adapters when present), with the tokenizer's alphabet
 * when given (id 0 is the replacement token, so vocabSize = alphabet length + 1). Reads tensors
 * asynchronously.
 */
export async function saveCheckpoint(model: Transformer, extraMetadata: Record<string, string> = {}, tokenizer?: { alphabet: string }): Promise<SavedCheckpoint> {
  if (model.lora?.merged) throw new CheckpointError('save: unmerge the LoRA adapters first (merged weights would be saved twice)');
  if (tokenizer && [...tokenizer.alphabet].length + 1 !== model.config.vocabSize) {
    throw new CheckpointError(`save: the alphabet has ${[...tokenizer.alphabet].length} characters but the model's vocabulary is ${model.config.vocabSize} (alphabet + 1)`);
  }
  const tensors = { ...(await readAll(model.weights)), ...(model.lora ? await readAll(model.lora.tensors) : {}) };
  const config = { format: FORMAT, model: model.config, lora: model.lora?.config ?? null, ...(tokenizer ? { tokenizer: { alphabet: tokenizer.alphabet } } : {}) };
  const configJson = JSON.stringify(config, null, 2);
  const safetensors = encodeSafetensors(tensors, { ...extraMetadata, format: FORMAT, config: JSON.stringify(config) });
  return { safetensors, configJson };
}

interface StoredConfig {
  model: ModelConfig;
  lora: LoraConfig | null;
  tokenizer?: { alphabet: string };
}

function parseConfig(text: string, where: string): StoredConfig {
  let c: unknown;
  try {
    c = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`${where} is not valid JSON: ${(e as Error).message}`);
  }
  const cfg = c as Partial<StoredConfig>;
  if (!cfg || typeof cfg !== 'object' || !cfg.model) throw new CheckpointError(`${where} has no "model" config`);
  try {
    validateModelConfig(cfg.model);
    if (cfg.lora) validateLoraConfig(cfg.lora);
  } catch (e) {
    throw new CheckpointError(`${where}: ${(e as Error).message}`);
  }
  if (cfg.tokenizer) {
    const n = typeof cfg.tokenizer.alphabet === 'string' ? [...cfg.tokenizer.alphabet].length : -1;
    if (n + 1 !== cfg.model.vocabSize) throw new CheckpointError(`${where}: the tokenizer's alphabet (${n} characters + the replacement token) does not match vocabSize ${cfg.model.vocabSize}`);
  }
  return { model: cfg.model, lora: cfg.lora ?? null, ...(cfg.tokenizer ? { tokenizer: { alphabet: cfg.tokenizer.alphabet } } : {}) };
}

/**
 * Loads a checkpoint. The config comes from `configJson` when given (it must then agree with the
 * file's own metadata, if any), else from the file's metadata.
 */
export function loadCheckpoint(bytes: Uint8Array, configJson?: string): Transformer {
  return readCheckpoint(bytes, configJson).model;
}

/** loadCheckpoint, with the tokenizer alphabet (when stored) and the file's metadata. */
export function readCheckpoint(bytes: Uint8Array, configJson?: string): { model: Transformer; tokenizer?: { alphabet: string }; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const embedded = metadata.config ? parseConfig(metadata.config, 'the file\'s embedded config') : null;
  const given = configJson !== undefined ? parseConfig(configJson, 'the config file') : null;
  const cfg = given ?? embedded;
  if (!cfg) throw new CheckpointError('no config: the file has none embedded and none was given');
  if (given && embedded && JSON.stringify(given) !== JSON.stringify(embedded)) {
    throw new CheckpointError('the config file does not match the config embedded in the checkpoint');
  }
  const baseSpecs = paramSpecs(cfg.model);
  const loraSpecList = cfg.lora ? loraSpecs(cfg.model, cfg.lora) : [];
  matchSpecs('checkpoint', [...baseSpecs, ...loraSpecList], tensors);
  const toWeights = (specs: ParamSpec[]): Weights =>
    Object.fromEntries(specs.map((s) => [s.name, tf.tensor(tensors[s.name]!.data, s.shape, 'float32')]));
  const lora: LoraAdapters | null = cfg.lora ? { config: cfg.lora, tensors: toWeights(loraSpecList), merged: false } : null;
  return { model: { config: cfg.model, weights: toWeights(baseSpecs), lora }, tokenizer: cfg.tokenizer, metadata };
}
