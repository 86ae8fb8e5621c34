/** The Node host's data for every preset: tokenizers, lengths that fit, held-out sets. */
import { expect, test } from 'vitest';
import { PRESET_NAMES, getPreset } from '../../src/config/presets';
import { Rng } from '../../src/model/rng';
import { nodeHost } from '../../scripts/lib/host';

test('every preset yields encodable batches of one shape and a fixed held-out set', async () => {
  for (const name of PRESET_NAMES) {
    const preset = getPreset(name);
    if (preset.data.kind === 'corpus' && preset.data.corpus === 'user') {
      await expect(nodeHost.data(preset)).rejects.toThrow(/text file given in the browser/);
      continue;
    }
    const data = await nodeHost.data(preset);
    const batch = data.trainBatch(new Rng(1), 4);
    expect(new Set(batch.map((e) => `${e.prompt.length}/${e.response.length}`)).size, name).toBe(1);
    for (const e of batch) expect(data.tokenizer.encode(e.prompt + e.response), `${name}: every character is in the alphabet`).not.toContain(0);
    const groups = data.testSet();
    expect(data.testSet(), name).toEqual(groups);
    const longest = Math.max(...groups.flatMap((g) => g.examples.map((e) => e.prompt.length + e.response.length)));
    expect(longest, name).toBeLessThanOrEqual(data.maxSequenceLength);
    if (preset.base.kind === 'checkpoint') {
      // The speech base has 256 positions: the longest test sequence must fit.
      expect(data.maxSequenceLength - 1, name).toBeLessThanOrEqual(256);
      expect(data.tokenizer.vocabSize, name).toBe(92);
    }
  }
  const moby = await nodeHost.data(getPreset('moby-dick'));
  expect(moby.rougeUnit).toBe('words');
  expect(moby.testSet()[0]!.examples[0]!.prompt).toHaveLength(64);
});
