/**
 * The Lessons: eight short chapters that teach knowledge distillation by running it. Each is data —
 * its text, the panels it talks about, its experiment (an ordinary config of the knob table, or a
 * small paper table) and one question to answer before running. The UI renders them; the link
 * holds `view=lessons&lesson=N`. No tfjs here.
 */
import type { DistillConfig, Method } from './knobs';
import { resolveConfig } from './resolve';

/** The panels a lesson can show; `table` is the lesson's own small paper table. */
export const LESSON_PANELS = ['training', 'threshold', 'layers', 'samples', 'rank', 'memory', 'table'] as const;
export type LessonPanel = (typeof LESSON_PANELS)[number];

export type LessonExperiment =
  /** One run with live panels. */
  | { kind: 'run'; preset: string; method: Method; knobs: Partial<DistillConfig> }
  /** A few rows of the paper table, one seed each, with equal budgets. */
  | { kind: 'table'; preset: string; methods: Method[]; steps: number };

export interface Lesson {
  title: string;
  /** Paragraphs; `code` in backticks. About 150 words in all. */
  text: string[];
  /** Shown in this order, highlighted; the first is the one the lesson is about. */
  panels: LessonPanel[];
  experiment: LessonExperiment;
  /** Asked before the run; `answer` (an index of `choices`) and `why` are revealed once it has run. */
  predict: { question: string; choices: string[]; answer: number; why: string };
  /** A second run to compare with, offered after the first (same preset). */
  compare?: { label: string; knobs: Partial<DistillConfig> };
  /** Run this measured end to end in Chromium (seconds): on SwiftShader, a CPU emulation of WebGPU, and on wasm. */
  measured: { swiftShader: number; wasm: number };
}

/** What a lesson's run takes, in words (measured in Chromium on a two-core machine without a GPU). */
export const lessonTiming = (l: Lesson) =>
  `Run this took ${l.measured.wasm} s on wasm and ${l.measured.swiftShader} s on SwiftShader (WebGPU emulated on the CPU) in Chromium on two CPU cores.`;

export const LESSONS: Lesson[] = [
  {
    title: 'Teacher and student',
    text: [
      'Distillation starts with two language models. The teacher is large and already good at the task; the student is smaller and cheaper to run, and learns from the teacher rather than from data alone.',
      "Here the task is to reverse a string of letters: `abc=` → `cba`. The teacher has 4 layers, the student 2 — every other layer of a base model. Press Run this and watch the student's answers on the test set in Samples: each line shows the prompt, the student's answer and the right one. The Memory panel shows what each model weighs.",
    ],
    panels: ['samples', 'memory'],
    experiment: { kind: 'run', preset: 'tiny', method: 'kd', knobs: { steps: 100, evalEvery: 50 } },
    predict: {
      question: "The student keeps half of the teacher's layers. Compared with the teacher's weights, its weights take…",
      choices: ['the same memory', 'about half', 'about a tenth'],
      answer: 1,
      why: "About half: the Memory panel's teacher weights and the student's weights (trainable ones here, since kd trains all of them) differ by the two layers left out; the embeddings are the same size in both.",
    },
    measured: { swiftShader: 81, wasm: 6 },
  },
  {
    title: 'Distillation on gold data',
    text: [
      "With `kd` the student reads the gold answers, and at every position it is pulled towards the teacher's whole next-token distribution — the soft targets — not only the one right token.",
      'A temperature T = 2 flattens both distributions first, so the teacher\'s second and third choices carry information too. The loss is 0.5·T²·KL(teacher ‖ student) + 0.5·CE(gold). Training draws the loss (solid) and its parts (dashed): output KD and CE; layer KD is off here.',
    ],
    panels: ['training'],
    experiment: { kind: 'run', preset: 'tiny', method: 'kd', knobs: { steps: 150, evalEvery: 50 } },
    predict: {
      question: 'Why is the KD part multiplied by T²?',
      choices: ['to make the loss larger', "dividing logits by T shrinks the soft targets' gradients by 1/T²; T² restores their scale", 'to make training faster'],
      answer: 1,
      why: "Softening divides the logits by T, so the KD term's gradients shrink by about 1/T². Multiplying by T² keeps them on the same scale as the CE term's, whatever T is (Hinton et al., 2015).",
    },
    measured: { swiftShader: 122, wasm: 10 },
  },
  {
    title: 'Exposure bias',
    text: [
      'A student trained only on gold prefixes never sees its own mistakes. When it writes alone, one wrong token puts it on a prefix it never trained on, and errors pile up along the answer: exposure bias.',
      "On-policy methods train on the student's own rollouts. `gkd` scores them against the teacher; `sti-lora` also lets the teacher take over a token where they disagree. Run the three and compare accuracy by output position, and the teacher-tokens column. Whether on-policy training wins is for the run to say: on these small tasks `kd` often does as well (the Paper table view measures it with more seeds).",
    ],
    panels: ['table'],
    experiment: { kind: 'table', preset: 'tiny', methods: ['kd', 'gkd', 'sti-lora'], steps: 100 },
    predict: {
      question: "Which of these methods ever train on the student's own output?",
      choices: ['kd only', 'gkd and sti-lora', 'all three'],
      answer: 1,
      why: "gkd and sti-lora train on rollouts: the student writes, then learns from the teacher's distribution at each of its own positions. kd reads only gold prefixes. Only sti-lora's rollouts contain teacher tokens (the teacher-tokens column); gkd's have none.",
    },
    measured: { swiftShader: 259, wasm: 18 },
  },
  {
    title: 'Selective teacher intervention',
    text: [
      "In `sti-lora` the student writes its answer token by token. At each position the teacher's and the student's next-token distributions are compared (Jensen–Shannon divergence). Where it reaches the threshold τ, the teacher's token replaces the student's, and the student goes on from the corrected prefix.",
      'As in SWITCH (Koo et al., 2025), τ falls along the response: τ(t) = τ0·e^(−λt). Late tokens, where errors have piled up, are corrected more readily. Samples highlights the teacher\'s tokens; the threshold chart shows τ, the divergence and the teacher\'s share at each position.',
    ],
    panels: ['threshold', 'samples'],
    experiment: { kind: 'run', preset: 'tiny', method: 'sti-lora', knobs: { steps: 100, evalEvery: 50 } },
    predict: {
      question: 'τ0 is 0.2 and λ is 0.1 per token. What is τ at response position 5?',
      choices: ['0.2', 'about 0.12', 'about 0.02'],
      answer: 1,
      why: 'τ(5) = 0.2·e^(−0.5) ≈ 0.121: the τ line falls by e^(−0.1) ≈ 0.905 per position. Hover a highlighted character in Samples to see τ and the divergence where the teacher took over.',
    },
    measured: { swiftShader: 100, wasm: 8 },
  },
  {
    title: "The threshold's shape",
    text: [
      "What if τ did not fall? With `tauShape` constant, τ is τ0 at every position: the teacher takes over only where the divergence alone is high, early or late.",
      "This run uses a constant τ. Then press the comparison button to run the same thing with τ falling as in lesson 4, and compare the teacher's share of tokens in the two runs (the table under the lesson).",
    ],
    panels: ['threshold'],
    experiment: { kind: 'run', preset: 'tiny', method: 'sti-lora', knobs: { steps: 100, evalEvery: 50, tauShape: 'constant' } },
    compare: { label: 'Run with τ falling, e^(−λt)', knobs: { tauShape: 'exp' } },
    predict: {
      question: 'Compared with a constant τ = τ0, a τ that falls from τ0 along the response makes the teacher take over…',
      choices: ['less often', 'about as often', 'more often'],
      answer: 2,
      why: "A falling τ is never above the constant one: for the same divergences, at least as many reach it at every position, so the teacher's share goes up, mostly at late positions. Run the comparison to see by how much.",
    },
    measured: { swiftShader: 105, wasm: 8 },
  },
  {
    title: 'LoRA',
    text: [
      "LoRA freezes the student's weights and learns a small correction beside chosen matrices: ΔW = (α/r)·A·B, with A of size d × r and B of r × d. Only A and B are trained; B starts at zero, so the model starts unchanged.",
      "Here r = 8 on the attention's query and value matrices. The LoRA rank panel shows each adapter's effective rank — how many directions it really uses — growing from 0 as it learns.",
    ],
    panels: ['rank', 'memory'],
    experiment: { kind: 'run', preset: 'tiny', method: 'sti-lora', knobs: { steps: 100, evalEvery: 50, rankEvery: 5 } },
    predict: {
      question: "With r = 8 on q and v of the student's 2 layers, what share of its weights does LoRA train?",
      choices: ['about 1%', 'about 10%', 'about half'],
      answer: 1,
      why: '2,048 of the student\'s 19,680 parameters (10%): 2 layers × 2 matrices × (32×8 + 8×32). In a real model the matrices are wider and the share far smaller — GPT-2 small at r = 8 trains under 0.3%.',
    },
    measured: { swiftShader: 125, wasm: 9 },
  },
  {
    title: 'What memory pays for',
    text: [
      'One training step holds the teacher\'s weights (frozen), the student\'s weights, their gradients, the optimiser\'s two moments (AdamW) for every trained weight, and the activations kept for the backward pass.',
      'LoRA shrinks the last three of the weight-sized parts: gradients and moments exist only for the adapters. The Memory panel breaks one step\'s peak into these parts once the run ends.',
    ],
    panels: ['memory'],
    experiment: { kind: 'run', preset: 'tiny', method: 'sti-lora', knobs: { steps: 60, evalEvery: 60 } },
    predict: {
      question: "In this tiny model, which part of a step's peak memory is the largest?",
      choices: ['the weights', 'the optimiser state', 'activations and temporaries'],
      answer: 2,
      why: "Activations: with a few thousand weights, what a step computes dwarfs what it stores. That is why the paper's memory savings (−75% against full fine-tuning) need a model whose weights dominate, such as GPT-2 (import one to measure it in the Paper table view).",
    },
    measured: { swiftShader: 73, wasm: 6 },
  },
  {
    title: "Reading the paper's comparison",
    text: [
      'The paper compares its method (`sti-lora`) with full fine-tuning of the teacher-size model (`ft`), `lora` and `kd`, all with the same budget. Each row is one run here; the table gives quality (ROUGE-L, perplexity), trainable parameters, the peak memory of a step and the latency of the deployed model.',
      'The "vs ft" column reads: quality as a share of ft\'s, then the changes in parameters, memory and latency. One seed and 100 steps make a noisy table — the Paper table view runs more.',
    ],
    panels: ['table'],
    experiment: { kind: 'table', preset: 'tiny', methods: ['ft', 'lora', 'kd', 'sti-lora'], steps: 100 },
    predict: {
      question: 'In "vs ft: 97%, −94%, +2%, −10%", what does +2% measure?',
      choices: ['quality', 'trainable parameters', 'peak memory of a training step'],
      answer: 2,
      why: "The four figures are quality, trainable parameters, memory, latency. +2% is the step's peak memory against ft's; the paper reports −75% at its scale, where weights dominate (lesson 7).",
    },
    measured: { swiftShader: 305, wasm: 21 },
  },
];

export const LESSON_COUNT = LESSONS.length;

/** The config a lesson runs (for a table lesson: its last row's, the paper's method, which the link carries). */
export function lessonConfig(n: number, compare = false): DistillConfig {
  const lesson = LESSONS[n - 1]!;
  const e = lesson.experiment;
  if (e.kind === 'table') return resolveConfig({ preset: e.preset, method: e.methods.at(-1)!, steps: e.steps });
  return resolveConfig({ preset: e.preset, method: e.method, ...e.knobs, ...(compare ? lesson.compare?.knobs : {}) });
}
