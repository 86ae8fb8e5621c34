/**
 * A trained model out as Hugging Face folders and back in through the same reader a user's folder
 * goes through: the merged folder gives the model's own logits (its LoRA merged), its tokenizer.json
 * encodes text as the character tokenizer does (unknown characters included), and a LoRA model
 * writes the student it sits on and a PEFT adapter.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { CharTokenizer } from '../../src/data/tokenizer';
import { exportHfFolders, readHfFolder } from '../../src/distill/hf';
import { modelConfig } from '../../src/model/config';
import { forward } from '../../src/model/transformer';
import { randomModel } from '../helpers';

test('export, then read back as a user folder: same logits, same token ids', async () => {
  const tokenizer = new CharTokenizer('abcdefgh .\n');
  const model = randomModel(modelConfig({ vocabSize: tokenizer.vocabSize, nLayer: 2, nHead: 2, dModel: 8, dFF: 16, nPositions: 16 }), 3, { rank: 2, alpha: 4, targets: ['q', 'v'], dropout: 0 });
  const folders = await exportHfFolders(model, tokenizer.toHfTokenizerJson());
  expect(Object.keys(folders).sort()).toEqual(['adapter', 'merged', 'student']);
  expect(Object.keys(folders.adapter!).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  expect(JSON.parse(folders.adapter!['adapter_config.json'] as string).base_model_name_or_path).toBe('student');
  const files = folders.merged!;
  const back = await readHfFolder('merged/', { names: Object.keys(files), read: async (n) => (n in files ? (typeof files[n] === 'string' ? new TextEncoder().encode(files[n] as string) : (files[n] as Uint8Array)) : null) });
  const text = 'bad cafe\nzz hedge.';
  expect(back.tokenizer.encode(text)).toEqual(tokenizer.encode(text)); // z is unknown: id 0 in both
  expect(back.tokenizer.decode(tokenizer.encode('bad cafe'))).toBe('bad cafe');
  const ids = tf.tensor2d([tokenizer.encode('bad cafe h')], undefined, 'int32');
  const [a, b] = tf.tidy(() => [forward(model, ids).logits, forward(back.model, ids).logits]);
  const [va, vb] = [await a!.data(), await b!.data()];
  va.forEach((x, i) => expect(vb[i]).toBeCloseTo(x, 4));
  tf.dispose([a!, b!, ids, ...Object.values(model.weights), ...Object.values(model.lora!.tensors), ...Object.values(back.model.weights)]);
});
