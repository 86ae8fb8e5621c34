/**
 * Selective teacher intervention on tokens (docs/method.md, "The rollout"; SWITCH): the student
 * samples a response with its KV cache while the teacher scores the same prefix with its own;
 * where the trigger fires — for the threshold trigger, where the trigger divergence at position t
 * reaches τ_t — the teacher's token replaces the student's and both continue from the corrected
 * prefix.
 *
 * Student and teacher draw with the same Gumbel noise, so where their distributions agree they
 * pick the same token, and τ = ∞ reproduces the student's own sample (τ = 0 the teacher's) for the
 * same seed. Everything stays on the device: the caller reads the result back once, if at all.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DivergenceOptions, divergence } from '../model/losses';
import { Rng } from '../model/rng';
import { type SamplingOptions, lastLogits, sampleTokens, samplingNoise } from '../model/sampling';
import { type KVCache, type Transformer, disposeCache, emptyCache, forward } from '../model/transformer';
import type { Trigger } from '../config/knobs';
import { FUSED, type RolloutChoiceAttrs, divergenceProgram, fusedHere, fusedRolloutChoice } from '../model/fused';
import { triggerCode } from '../model/triggers';
import { makeDecoder } from '../model/decoder';

export interface RolloutOptions {
  /** Response tokens to generate. */
  length: number;
  trigger: Trigger;
  /** threshold trigger: τ_t at each response position t (at least `length` of them); intervene where D_t ≥ τ_t. */
  tau: readonly number[];
  /** topk trigger: intervene where the student's token is outside the teacher's top-K. */
  topK: number;
  /** The trigger divergence D_t (the rollout's `divergence` column). */
  divergence: DivergenceOptions;
  sampling: SamplingOptions;
  seed: number;
}

/** τ_t of the rollout's position t, checked to exist. */
function tauOf(o: RolloutOptions, t: number): number {
  const tau = o.tau[t];
  if (tau === undefined) throw new Error(`rollout: no threshold for position ${t} (${o.tau.length} given for ${o.length} positions)`);
  return tau;
}

export interface Rollout {
  tokens: tf.Tensor2D; // int32 [B, N]: the response after intervention
  studentTokens: tf.Tensor2D; // int32 [B, N]: what the student proposed at each position
  intervened: tf.Tensor2D; // float32 [B, N]: 1 where the teacher's token was taken
  divergence: tf.Tensor2D; // float32 [B, N]: D(p_T ‖ p_S) at each position, before the choice
}

export function disposeRollout(r: Rollout): void {
  tf.dispose([r.tokens, r.studentTokens, r.intervened, r.divergence]);
}

/** True where `token` [B] is among the K largest of `logits` [B, V] (ties at the K-th count as in). */
function inTopK(logits: tf.Tensor2D, token: tf.Tensor1D, K: number): tf.Tensor1D {
  const V = logits.shape[1];
  if (K >= V) return tf.cast(tf.onesLike(token), 'bool') as tf.Tensor1D;
  const kth = tf.min(tf.topk(logits, K).values, -1); // [B]
  const picked = tf.sum(tf.mul(logits, tf.oneHot(token, V)), -1); // [B]
  return tf.greaterEqual(picked, kth) as tf.Tensor1D;
}

/** What a trigger reads at one position of the reference rollout. */
interface FireInputs {
  d: tf.Tensor1D; // [B] the trigger divergence
  tau: number;
  lt: tf.Tensor2D; // [B, V] the teacher's logits
  prop: tf.Tensor1D; // [B] the student's token
  topK: number;
}

/** Each trigger in the reference graph (the fused program's are TRIGGER_TABLE's WGSL): bool [B]. */
const REFERENCE_FIRE: { readonly [K in Trigger]: (x: FireInputs) => tf.Tensor1D } = {
  threshold: (x) => tf.greaterEqual(x.d, x.tau) as tf.Tensor1D,
  topk: (x) => tf.logicalNot(inTopK(x.lt, x.prop, x.topK)) as tf.Tensor1D,
  none: (x) => tf.cast(tf.zerosLike(x.prop), 'bool') as tf.Tensor1D,
};

/**
 * The fused program's attributes for these options, or null where it does not apply (greedy or
 * filtered sampling, which the reference graph handles).
 */
function choiceAttrs(o: RolloutOptions): Omit<RolloutChoiceAttrs, 'tau'> | null {
  const sm = o.sampling;
  if (sm.greedy || sm.topK > 0 || sm.topP < 1) return null;
  const dv = o.divergence;
  const { kind, w } = divergenceProgram(dv);
  return {
    kind,
    temperature: dv.temperature ?? 1,
    w,
    sampleTemperature: sm.temperature,
    trigger: triggerCode(o.trigger),
    topK: o.topK,
  };
}

export function stiRollout(student: Transformer, teacher: Transformer, prompt: tf.Tensor2D, o: RolloutOptions): Rollout {
  const attrs = choiceAttrs(o);
  return attrs && fusedHere(FUSED.rolloutChoice) ? fusedRollout(student, teacher, prompt, o, attrs) : referenceRollout(student, teacher, prompt, o);
}

/**
 * The rollout with each token's decision in one program (src/engine/fused/rollout-choice.ts),
 * both models decoding through makeDecoder: with the fused decode programs a token costs
 * (L_S + 2) + (L_T + 2) + 1 dispatches, and the next token's ids are read straight from the
 * decision's rows.
 */
function fusedRollout(student: Transformer, teacher: Transformer, prompt: tf.Tensor2D, o: RolloutOptions, attrs: Omit<RolloutChoiceAttrs, 'tau'>): Rollout {
  const [B, P] = prompt.shape;
  const V = student.config.vocabSize;
  if (teacher.config.vocabSize !== V) throw new Error('rollout: teacher and student vocabularies differ');
  const noise = samplingNoise(new Rng(o.seed), o.length, B, V); // [N, B, V]
  const capacity = P + o.length - 1; // positions fed: the prompt, then all but the last token
  const sDec = makeDecoder(student, B, P, capacity);
  const tDec = makeDecoder(teacher, B, P, capacity);
  const rows: tf.Tensor2D[] = []; // per token [B, 4]: tok, prop, fire, d
  const logits: tf.Tensor2D[] = []; // the latest [B, V] of each model, until the choice has read them
  try {
    logits.push(sDec.prefill(prompt), tDec.prefill(prompt));
    for (let i = 0; i < o.length; i++) {
      const [ls, lt] = logits.splice(0) as [tf.Tensor2D, tf.Tensor2D];
      const choice = fusedRolloutChoice(lt, ls, noise, { ...attrs, tau: o.trigger === 'threshold' ? tauOf(o, i) : 0 }, i); // [B, 4]
      rows.push(choice);
      tf.dispose([ls, lt]);
      if (i + 1 < o.length) logits.push(sDec.next(choice, 0), tDec.next(choice, 0)); // the token taken is column 0
    }
    return tf.tidy(() => {
      const all = tf.stack(rows, 1); // [B, N, 4]
      const col = (c: number) => tf.reshape(tf.slice(all, [0, 0, c], [B, o.length, 1]), [B, o.length]) as tf.Tensor2D; // [B, N]
      return {
        tokens: tf.cast(col(0), 'int32') as tf.Tensor2D,
        studentTokens: tf.cast(col(1), 'int32') as tf.Tensor2D,
        intervened: col(2),
        divergence: col(3),
      };
    });
  } finally {
    tf.dispose([...rows, ...logits, noise]);
    sDec.dispose();
    tDec.dispose();
  }
}

function referenceRollout(student: Transformer, teacher: Transformer, prompt: tf.Tensor2D, o: RolloutOptions): Rollout {
  const [B] = prompt.shape;
  const V = student.config.vocabSize;
  if (teacher.config.vocabSize !== V) throw new Error('rollout: teacher and student vocabularies differ');
  const noise = samplingNoise(new Rng(o.seed), o.length, B, V); // [N, B, V]
  let sCache: KVCache = emptyCache();
  let tCache: KVCache = emptyCache();
  let input = prompt;
  const cols: { tok: tf.Tensor1D; prop: tf.Tensor1D; mask: tf.Tensor1D; d: tf.Tensor1D }[] = [];
  try {
    for (let i = 0; i < o.length; i++) {
      const r = tf.tidy(() => {
        const rs = forward(student, input, { cache: sCache });
        const rt = forward(teacher, input, { cache: tCache });
        const ls = lastLogits(rs.logits); // [B, V]
        const lt = lastLogits(rt.logits); // [B, V]
        const d = tf.relu(divergence(lt, ls, o.divergence)) as tf.Tensor1D; // [B]
        const u = tf.reshape(tf.slice(noise, [i, 0, 0], [1, B, V]), [B, V]) as tf.Tensor2D;
        const prop = sampleTokens(ls, o.sampling, u); // [B]
        const fire = REFERENCE_FIRE[o.trigger]({ d, tau: o.trigger === 'threshold' ? tauOf(o, i) : 0, lt, prop, topK: o.topK });
        const tok = o.trigger === 'none' ? prop : (tf.where(fire, sampleTokens(lt, o.sampling, u), prop) as tf.Tensor1D);
        return { tok, prop, mask: tf.cast(fire, 'float32') as tf.Tensor1D, d, sCache: rs.cache!, tCache: rt.cache! };
      });
      disposeCache(sCache);
      disposeCache(tCache);
      sCache = r.sCache;
      tCache = r.tCache;
      cols.push({ tok: r.tok, prop: r.prop, mask: r.mask, d: r.d });
      if (input !== prompt) input.dispose();
      input = tf.reshape(r.tok, [B, 1]) as tf.Tensor2D;
    }
    return {
      tokens: tf.stack(cols.map((c) => c.tok), 1) as tf.Tensor2D,
      studentTokens: tf.stack(cols.map((c) => c.prop), 1) as tf.Tensor2D,
      intervened: tf.stack(cols.map((c) => c.mask), 1) as tf.Tensor2D,
      divergence: tf.stack(cols.map((c) => c.d), 1) as tf.Tensor2D,
    };
  } finally {
    if (input !== prompt) input.dispose();
    disposeCache(sCache);
    disposeCache(tCache);
    for (const c of cols) tf.dispose([c.tok, c.prop, c.mask, c.d]);
    noise.dispose();
  }
}
