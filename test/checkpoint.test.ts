/** Checkpoints: save → load is bit-identical; each kind of bad file is refused with a clear error. */
import { describe, expect, test } from 'vitest';
import { CheckpointError, decodeSafetensors, encodeSafetensors, loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint';
import { allParams } from '../src/model/transformer';
import { ALL_TARGETS, randomModel, tinyConfig, values } from './helpers';

async function saved(withLora = true) {
  const model = randomModel(tinyConfig(), 11, withLora ? ALL_TARGETS : undefined);
  return { model, ...(await saveCheckpoint(model, { note: 'test' })) };
}

function patchHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  const hb = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + hb.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(bytes.subarray(8 + n), 8 + hb.length);
  return out;
}

describe('checkpoint', () => {
  test('save → load is bit-identical, LoRA included', async () => {
    const { model, safetensors, configJson } = await saved();
    for (const loaded of [loadCheckpoint(safetensors), loadCheckpoint(safetensors, configJson)]) {
      expect(loaded.config).toEqual(model.config);
      expect(loaded.lora!.config).toEqual(model.lora!.config);
      const a = allParams(model);
      const b = allParams(loaded);
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      for (const name of Object.keys(a)) {
        expect(b[name]!.shape, name).toEqual(a[name]!.shape);
        const va = await values(a[name]!);
        const vb = await values(b[name]!);
        expect(Buffer.from(vb.buffer, vb.byteOffset, vb.byteLength).equals(Buffer.from(va.buffer, va.byteOffset, va.byteLength)), name).toBe(true);
      }
    }
    // Saving the loaded model gives the same bytes.
    expect(Buffer.from((await saveCheckpoint(loadCheckpoint(safetensors), { note: 'test' })).safetensors).equals(Buffer.from(safetensors))).toBe(true);
  });

  test('safetensors layout: header length, JSON header, aligned F32 data', () => {
    const bytes = encodeSafetensors({ b: { shape: [2], data: new Float32Array([1, 2]) }, a: { shape: [1, 1], data: new Float32Array([3]) } }, { k: 'v' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const h = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(h.a).toEqual({ dtype: 'F32', shape: [1, 1], data_offsets: [0, 4] });
    expect(h.b).toEqual({ dtype: 'F32', shape: [2], data_offsets: [4, 12] });
    expect(h.__metadata__).toEqual({ k: 'v' });
    const d = decodeSafetensors(bytes);
    expect(Array.from(d.tensors.b!.data)).toEqual([1, 2]);
  });

  const refusals: [string, (b: Uint8Array, cfg: string) => [Uint8Array, string?], RegExp][] = [
    ['an empty file', () => [new Uint8Array(0)], /truncated: 0 bytes/],
    ['a file cut inside the header', (b) => [b.subarray(0, 40)], /does not fit|truncated/],
    ['a file cut inside the data', (b) => [b.subarray(0, b.length - 10)], /truncated/],
    ['a corrupt header', (b) => {
      const c = b.slice();
      c.fill(0x5d, 9, 16); // ']]]]]]]' inside the JSON
      return [c];
    }, /not valid JSON/],
    ['a huge header length', (b) => {
      const c = b.slice();
      new DataView(c.buffer).setBigUint64(0, 1n << 40n, true);
      return [c];
    }, /does not fit/],
    ['a tensor of an unsupported dtype', (b) => [patchHeader(b, (h) => ((h['wte.weight'] as { dtype: string }).dtype = 'I64'))], /I64.*not supported \(F32, F16, BF16\)/],
    ['an F16 tensor whose bytes are an F32 one\'s', (b) => [patchHeader(b, (h) => ((h['wte.weight'] as { dtype: string }).dtype = 'F16'))], /bytes for shape/],
    ['a shape that disagrees with its bytes', (b) => [patchHeader(b, (h) => ((h['wte.weight'] as { shape: number[] }).shape = [11, 9]))], /bytes for shape/],
    ['overlapping tensors', (b) => [patchHeader(b, (h) => {
      const e = h['lnf.bias'] as { data_offsets: number[] };
      const f = h['lnf.weight'] as { data_offsets: number[] };
      e.data_offsets = [...f.data_offsets];
    })], /overlap/],
    ['a missing tensor', (b) => [patchHeader(b, (h) => delete h['h.1.mlp.fc2.weight'])], /tensor h.1.mlp.fc2.weight is missing/],
    ['an unexpected tensor', (b) => [patchHeader(b, (h) => {
      const md = h.__metadata__ as Record<string, string>;
      const c = JSON.parse(md.config!);
      c.model.nLayer = 1;
      md.config = JSON.stringify(c);
    })], /unexpected tensor h\.1\./],
    ['a config file that does not match the weights', (b, cfg) => {
      const c = JSON.parse(cfg);
      c.model.dModel = 16;
      c.model.nHead = 2;
      return [b, JSON.stringify(c)];
    }, /does not match/],
    ['a config file that is not JSON', (b) => [b, '{model:'], /config file is not valid JSON/],
    ['an invalid config', (b, cfg) => {
      const c = JSON.parse(cfg);
      c.model.nHead = 3;
      return [b, JSON.stringify(c)];
    }, /nHead: 3 heads do not divide/],
    ['no config at all', (b) => [patchHeader(b, (h) => (h.__metadata__ = {}))], /no config/],
  ];
  for (const [what, make, msg] of refusals) {
    test(`refuses ${what}`, async () => {
      const { safetensors, configJson } = await saved();
      const [bytes, cfg] = make(safetensors, configJson);
      let err: unknown;
      try {
        loadCheckpoint(bytes, cfg);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as Error).message).toMatch(msg);
    });
  }
});

describe('the tokenizer travels with the checkpoint', () => {
  test('alphabet saved and read back; a mismatching alphabet is refused', async () => {
    const { readCheckpoint } = await import('../src/model/checkpoint');
    const model = randomModel(tinyConfig(), 3); // vocab 11 = 10 characters + the replacement token
    const saved = await saveCheckpoint(model, {}, { alphabet: 'abcdefgh=.' });
    expect(readCheckpoint(saved.safetensors).tokenizer).toEqual({ alphabet: 'abcdefgh=.' });
    await expect(saveCheckpoint(model, {}, { alphabet: 'abc' })).rejects.toThrow(/alphabet has 3 characters/);
    const c = JSON.parse(saved.configJson);
    c.tokenizer.alphabet = 'abc';
    expect(() => loadCheckpoint(saved.safetensors, JSON.stringify(c))).toThrow(/does not match vocabSize 11/);
  });
});
