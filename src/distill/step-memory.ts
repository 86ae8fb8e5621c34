/**
 * A run's memory before it starts, by the parts the resources table measures, and whether its
 * backend can hold it: tfjs's wasm backend keeps every tensor in one 32-bit heap.
 */
import type { ModelConfig } from '../model/config';
import { type GpuLimits, WEBGPU_DEFAULT_LIMITS, gpuFit } from '../model/memory';
import { countParams, paramSpecs } from '../model/params';
import { lensChunkRows } from './lens-chunks';
import { updatePeakValues } from './optim';
import { MEMORY_ORDER, MEMORY_PARTS, type MemoryBreakdown, type StepMemory } from '../protocol/resources';

/**
 * tfjs-backend-wasm 4.22's heap: one 32-bit WebAssembly memory of at most 65,536 pages, of which
 * its allocator uses 4,294,901,760 bytes (emscripten's getHeapMax). Every tensor lives in it.
 */
export const WASM_HEAP_LIMIT = 4_294_901_760;

/**
 * Vocabulary-wide values of a step, measured (tf.profile on cpu, a 4 × 16 GPT-2 with GPT-2's 50,257
 * tokens, batch 1 × 127): about 14 [tokens, V] tensors for the trained model's logits and
 * cross-entropy; with a teacher, about 7 more per token (the models' logits and what the lens
 * keeps) and 17 [rows, V] tensors for the one lens chunk whose divergence and gradient are computed
 * at a time (lens-chunks.ts), or, where a layer's logits fit one chunk, 16 per token for each
 * divergence (the output and each student layer's lens).
 */
export function vocabWideValues(tokens: number, trained: ModelConfig, teacher: boolean): number {
  const rows = lensChunkRows(trained.vocabSize);
  const lens = !teacher ? 0 : tokens <= rows ? 16 * (trained.nLayer + 1) * tokens : 7 * tokens + 17 * rows;
  return (14 * tokens + lens) * trained.vocabSize;
}

/**
 * A training step's peak before the run starts, by the parts the resources table measures
 * (src/protocol/resources.ts): the sizes of the teacher, the trained model's frozen and trainable
 * weights, gradients and AdamW's two moments are exact; activations and temporaries are estimated:
 * what the trained model's forward keeps for the backward per token and layer (≈ 12·C + 2·F
 * values, and the attention scores H·T twice), the vocabulary-wide tensors (logits, log-softmaxes,
 * divergences and their gradients, the lens a chunk of rows at a time), and what AdamW's reference
 * update adds at its largest parameter (src/distill/optim.ts; the new weights of the others take
 * their gradients' place).
 */
export function stepMemory(
  teacher: ModelConfig | null,
  trained: ModelConfig,
  run: { batch: number; seq: number; lora: { rank: number; targets: readonly string[] } | null },
  limits: GpuLimits = WEBGPU_DEFAULT_LIMITS,
): StepMemory {
  const teacherParams = teacher ? countParams(paramSpecs(teacher)) : 0;
  const baseParams = countParams(paramSpecs(trained));
  const C = trained.dModel;
  const perTarget = (t: string) => (t === 'fc1' ? C + trained.dFF : t === 'fc2' ? trained.dFF + C : 2 * C) * (run.lora?.rank ?? 0);
  const adapterParams = run.lora ? trained.nLayer * run.lora.targets.reduce((a, t) => a + perTarget(t), 0) : 0;
  const trainableParams = run.lora ? adapterParams : baseParams;
  const tokens = run.batch * run.seq;
  // The largest tensor the optimiser updates: the update's peak (updatePeakValues) is at its update.
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const largest = run.lora
    ? [Math.max(C, trained.dFF), run.lora.rank]
    : paramSpecs(trained).map((p) => p.shape).reduce((a, b) => (size(b) > size(a) ? b : a));
  const vocabValues = vocabWideValues(tokens, trained, teacher !== null);
  const perToken = trained.nLayer * (12 * C + 2 * trained.dFF + 2 * trained.nHead * run.seq);
  const parts: MemoryBreakdown = {
    teacher: 4 * teacherParams,
    frozen: 4 * (run.lora ? baseParams : 0),
    trainable: 4 * trainableParams,
    gradients: 4 * trainableParams,
    optimiser: 8 * trainableParams,
    activations: 4 * (tokens * perToken + vocabValues + updatePeakValues(size(largest), size(largest.slice(1)))),
  };
  const problems = gpuFit(teacher ?? trained, { batch: run.batch, seq: run.seq, trainAll: !run.lora }, limits).problems;
  return { teacherParams, trainedParams: baseParams + adapterParams, trainableParams, parts, total: Object.values(parts).reduce((a, b) => a + b, 0), problems };
}

const GB = (b: number) => `${(b / 1e9).toFixed(2)} GB`;

/**
 * What tfjs's wasm heap must hold for a step: its tensors and XNNPACK's packed copy of every weight
 * matrix the models multiply (tfjs-backend-wasm caches one operator per weight tensor, holding the
 * weights packed), about the models' weights again. Measured: full fine-tuning of GPT-2 small at
 * batch 1, whose tensors were estimated at 4.20 GB, aborted in the 4.29 GB heap.
 */
export function wasmHeapBytes(mem: StepMemory): number {
  return mem.total + 4 * (mem.teacherParams + mem.trainedParams);
}

/** Why a step of this size cannot run on `backend` (null when it can): tfjs's wasm heap holds at most WASM_HEAP_LIMIT. */
export function backendMemoryProblem(mem: StepMemory, backend: string): string | null {
  const need = wasmHeapBytes(mem);
  if (backend !== 'wasm' || need <= WASM_HEAP_LIMIT) return null;
  const parts = MEMORY_ORDER.map((p) => `${MEMORY_PARTS[p].label} ${GB(mem.parts[p])}`).join(', ');
  return `a step of this run needs about ${GB(need)} of tfjs's wasm heap at its peak (an estimate: ${parts}, and ${GB(need - mem.total)} of XNNPACK's packed weight matrices), more than it can hold (one 32-bit WebAssembly heap: ${WASM_HEAP_LIMIT.toLocaleString('en-US')} bytes). Use webgpu on a GPU (--backend webgpu; in the app, WebGPU in the Engine panel), or the cpu backend where the machine has several times the estimate in memory (it frees tensors only when JavaScript's garbage collector runs), or a smaller run (a LoRA method, a smaller batch)`;
}
