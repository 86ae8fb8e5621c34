/**
 * When the teacher takes over a token of a student rollout (docs/method.md, "Triggers"), one row
 * each: what it means and its WGSL in the fused rollout decision (src/engine/fused/rollout-choice.ts),
 * where `d` is the trigger divergence, `uniforms.tau` the threshold at this position and `above`
 * the number of teacher logits strictly above the student token's. No tfjs here: the knob table
 * reads the names.
 */

export const TRIGGERS = ['threshold', 'topk', 'none'] as const;
export type Trigger = (typeof TRIGGERS)[number];

export interface TriggerRow {
  /** In words, for help texts and the page. */
  label: string;
  /** Whether the run has a threshold τ for it. */
  thresholded: boolean;
  /** WGSL boolean: the teacher's token is taken. */
  wgsl: string;
}

export const TRIGGER_TABLE: { readonly [K in Trigger]: TriggerRow } = {
  threshold: { label: 'the trigger divergence reaches the threshold τ at that position (SWITCH)', thresholded: true, wgsl: 'd >= uniforms.tau' },
  topk: { label: "the student's token is outside the teacher's top K (SKD)", thresholded: false, wgsl: 'above >= uniforms.topK' },
  none: { label: 'never: plain on-policy KD (GKD)', thresholded: false, wgsl: 'false' },
};

/** The fused program's number of a trigger (its place in TRIGGERS). */
export const triggerCode = (t: Trigger): number => TRIGGERS.indexOf(t);
