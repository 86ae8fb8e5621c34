/**
 * The student cut from a base: every other block by default (DistilBERT-style), or a chosen
 * number spread evenly from the first, each block's tensors (biases of an imported GPT-2
 * included) copied from the block it comes from; the layer map follows.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { layerMap } from '../../src/distill/layers';
import { disposeModel, studentFromBase, studentLayers } from '../../src/distill/models';
import { resolveConfig } from '../../src/config/resolve';
import { randomModel, tinyConfig } from '../helpers';

test('which blocks: every other one, or k spread evenly from the first', () => {
  expect(studentLayers(4)).toEqual([0, 2]);
  expect(studentLayers(5)).toEqual([0, 2, 4]);
  expect(studentLayers(12, 3)).toEqual([0, 4, 8]);
  expect(studentLayers(12, 12)).toEqual([...Array(12).keys()]);
  expect(studentLayers(4, 1)).toEqual([0]);
  expect(() => studentLayers(4, 5)).toThrow(/5 blocks of a base of 4/);
  expect(layerMap(3, 12)).toEqual([4, 8, 12]);
});

test('the student holds the chosen blocks of the base, biases included', async () => {
  const base = randomModel(tinyConfig({ nLayer: 6, bias: true }), 3);
  const before = tf.memory().numTensors;
  const s = studentFromBase(base, 3); // blocks 0, 2, 4
  expect(s.config.nLayer).toBe(3);
  for (const [j, i] of [[0, 0], [1, 2], [2, 4]] as const) {
    for (const name of ['ln1.weight', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.o.bias', 'mlp.fc2.weight', 'mlp.fc1.bias']) {
      expect(Array.from(await s.weights[`h.${j}.${name}`]!.data()), `h.${j}.${name} = base h.${i}`).toEqual(Array.from(await base.weights[`h.${i}.${name}`]!.data()));
    }
  }
  expect(Object.keys(s.weights).filter((n) => n.startsWith('h.3.'))).toEqual([]);
  expect(Array.from(await s.weights['wte.weight']!.data())).toEqual(Array.from(await base.weights['wte.weight']!.data()));
  expect(resolveConfig({}).studentBlocks).toBe(0);
  disposeModel(s);
  expect(tf.memory().numTensors, 'the student owns copies, freed with it').toBe(before);
  disposeModel(base);
});
