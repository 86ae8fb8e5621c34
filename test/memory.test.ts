/** Whether a model fits a WebGPU adapter's buffer limits, and the step estimate, by hand. */
import { expect, test } from 'vitest';
import { modelConfig } from '../src/model/config';
import { gpt2Config } from '../src/model/hf-gpt2';
import { WEBGPU_DEFAULT_LIMITS, gpuFit } from '../src/model/memory';
import { WASM_HEAP_LIMIT, backendMemoryProblem, stepMemory, wasmHeapBytes } from '../src/distill/step-memory';

const GPT2_SMALL = { model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 };

test("GPT-2 small at 4 × 128: the logits (785 MiB) and the embedding (147 MiB) exceed WebGPU's default 128 MiB binding; at B = 1, T = 64 with an adapter's 2 GiB it fits", () => {
  const cfg = gpt2Config(GPT2_SMALL);
  const fit = gpuFit(cfg, { batch: 4, seq: 1024, trainAll: false });
  expect(fit.params).toBe(124_439_808); // GPT-2 small, tied head, with biases
  expect(fit.largest.what).toMatch(/logits of a step \[4, 1024, 50257\]/);
  expect(fit.problems.join('\n')).toMatch(/wte\.weight \[50257, 768\] needs 147 MiB in one buffer; this GPU binds at most 128 MiB/);
  const big = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 31 };
  expect(gpuFit(cfg, { batch: 1, seq: 64, trainAll: false }, big).problems).toEqual([]);
  expect(gpuFit(cfg, { batch: 1, seq: 64, trainAll: true }, big).estimateBytes).toBe(4 * 124_439_808 * 4 + 2 * 4 * 64 * 50257);
});

test("the playground's own models fit the defaults easily", () => {
  const fit = gpuFit(modelConfig({ vocabSize: 92, nLayer: 4, nHead: 4, dModel: 128, nPositions: 256 }), { batch: 16, seq: 128, trainAll: true }, WEBGPU_DEFAULT_LIMITS);
  expect(fit.problems).toEqual([]);
  expect(fit.largest.bytes).toBeLessThan(2 ** 20 * 5);
});

test('a step of GPT-2 small by part: exact sizes of weights, gradients and moments; the teacher only where a KD method runs one', () => {
  const cfg = gpt2Config(GPT2_SMALL);
  const ft = stepMemory(null, cfg, { batch: 1, seq: 128, lora: null });
  expect(ft.trainableParams).toBe(124_439_808);
  expect(ft.parts.teacher).toBe(0);
  expect(ft.parts.frozen).toBe(0);
  expect(ft.parts.trainable).toBe(4 * 124_439_808);
  expect(ft.parts.gradients).toBe(4 * 124_439_808);
  expect(ft.parts.optimiser).toBe(8 * 124_439_808);
  const student = { ...cfg, nLayer: 6 };
  const sti = stepMemory(cfg, student, { batch: 1, seq: 128, lora: { rank: 8, targets: ['q', 'v'] } });
  expect(sti.parts.teacher).toBe(4 * 124_439_808);
  expect(sti.parts.frozen).toBe(4 * 81_912_576); // distilgpt2's count: 6 blocks, embeddings and final norm
  expect(sti.trainableParams).toBe(6 * 2 * (768 + 768) * 8);
  expect(sti.total).toBe(Object.values(sti.parts).reduce((a, b) => a + b, 0));
});

test("tfjs's wasm heap: full fine-tuning of GPT-2 small is refused naming the limit and the way out; LoRA at batch 1, and any backend but wasm, are not", () => {
  const cfg = gpt2Config(GPT2_SMALL);
  const ft = stepMemory(null, cfg, { batch: 4, seq: 128, lora: null });
  const problem = backendMemoryProblem(ft, 'wasm');
  expect(problem).toMatch(/of tfjs's wasm heap at its peak .*more than it can hold \(one 32-bit WebAssembly heap: 4,294,901,760 bytes\)/);
  expect(problem).toMatch(/and 0\.50 GB of XNNPACK's packed weight matrices/);
  expect(problem).toMatch(/Use webgpu on a GPU/);
  expect(backendMemoryProblem(ft, 'wasm')).toMatch(/4\.88 GB of tfjs's wasm heap/);
  // At batch 1 it fits with XNNPACK's copies (3.46 GB): the update frees each gradient as it goes and updates the
  // embedding a block of rows at a time (src/distill/optim.ts). Before, 4.70 GB were estimated; it aborted.
  const ft1 = stepMemory(null, cfg, { batch: 1, seq: 128, lora: null });
  expect(wasmHeapBytes(ft1) / 1e9).toBeCloseTo(3.46, 2);
  expect(backendMemoryProblem(ft1, 'wasm')).toBeNull();
  expect(WASM_HEAP_LIMIT).toBe(2 ** 32 - 2 ** 16);
  expect(backendMemoryProblem(ft, 'cpu')).toBeNull();
  expect(backendMemoryProblem(ft, 'webgpu')).toBeNull();
  const sti = stepMemory(cfg, { ...cfg, nLayer: 6 }, { batch: 1, seq: 128, lora: { rank: 8, targets: ['q', 'v'] } });
  expect(backendMemoryProblem(sti, 'wasm')).toBeNull();
});
