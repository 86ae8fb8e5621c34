/** The eight methods of the paper table (docs/method.md, "The methods") and what each one trains. */
import type { DistillConfig, Method } from './knobs';

export interface MethodSpec {
  id: Method;
  /** teacher: the teacher-size model from the base checkpoint; student: half depth, from the base. */
  model: 'teacher' | 'student';
  trainable: 'all' | 'lora';
  /** ce: cross-entropy on gold; kd: word-level KD on gold; onpolicy: rollouts with a trigger. */
  signal: 'ce' | 'kd' | 'onpolicy';
  summary: string;
  /** Knob values that define the method (applied over the base defaults, under the preset's). */
  defaults: Partial<DistillConfig>;
}

export const METHOD_SPECS: Record<Method, MethodSpec> = {
  ft: { id: 'ft', model: 'teacher', trainable: 'all', signal: 'ce', summary: 'full fine-tuning of the teacher-size model (CE on gold)', defaults: { alphaCe: 1 } },
  lora: { id: 'lora', model: 'teacher', trainable: 'lora', signal: 'ce', summary: 'LoRA fine-tuning of the teacher-size model (CE on gold)', defaults: { alphaCe: 1 } },
  kd: {
    id: 'kd',
    model: 'student',
    trainable: 'all',
    signal: 'kd',
    summary: 'word-level KD on gold sequences, all student weights (loss 0.5·T²·D + 0.5·CE, T = 2, as KD-LoRA)',
    defaults: { temperature: 2, wOut: 0.5, alphaCe: 0.5, wLayer: 0, lambdaOnPolicy: 0 },
  },
  sti: {
    id: 'sti',
    model: 'student',
    trainable: 'all',
    signal: 'onpolicy',
    summary: 'selective teacher intervention: rollouts with threshold trigger + layer-selective KD, all student weights',
    defaults: { trigger: 'threshold', lambdaOnPolicy: 1, wLayer: 0.1 },
  },
  'kd-lora': {
    id: 'kd-lora',
    model: 'student',
    trainable: 'lora',
    signal: 'kd',
    summary: 'word-level KD on gold sequences, LoRA only (KD-LoRA)',
    defaults: { temperature: 2, wOut: 0.5, alphaCe: 0.5, wLayer: 0, lambdaOnPolicy: 0 },
  },
  'sti-lora': {
    id: 'sti-lora',
    model: 'student',
    trainable: 'lora',
    signal: 'onpolicy',
    summary: 'selective teacher intervention + LoRA — the paper’s method',
    defaults: { trigger: 'threshold', lambdaOnPolicy: 1, wLayer: 0.1 },
  },
  gkd: {
    id: 'gkd',
    model: 'student',
    trainable: 'lora',
    signal: 'onpolicy',
    summary: 'on-policy KD (GKD): half the batches are student rollouts, no intervention, LoRA only',
    defaults: { trigger: 'none', lambdaOnPolicy: 0.5, wLayer: 0 },
  },
  skd: {
    id: 'skd',
    model: 'student',
    trainable: 'lora',
    signal: 'onpolicy',
    summary: 'speculative KD: the teacher replaces student tokens outside its top-K, LoRA only',
    defaults: { trigger: 'topk', lambdaOnPolicy: 1, wLayer: 0 },
  },
};
