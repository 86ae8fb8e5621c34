/**
 * One rollout token's decision in one program, where the reference graph takes ~45 dispatches:
 * for each sequence (a workgroup per row), from the teacher's and the student's last logits and
 * the step's uniform noise,
 *   d    = max(0, D(p_T ‖ p_S)) at temperature T, for the five divergences (src/model/losses.ts),
 *   prop = argmax(ls / Ts + g), the student's Gumbel-max sample (g = −log(−log u)), and the
 *          teacher's sample argmax(lt / Ts + g) with the same noise,
 *   fire = d ≥ τ (threshold), or prop outside the teacher's top K (topk), or never (none),
 *   tok  = fire ? the teacher's sample : prop,
 * written as a row [tok, prop, fire, d]. argmax ties go to the smaller index, as tf.argMax.
 */
import { FUSED, type RolloutChoiceAttrs } from '../../model/fused';
import { DIVERGENCE_WGSL } from '../../model/divergences';
import { TRIGGERS, TRIGGER_TABLE } from '../../model/triggers';
import { divergenceRow } from './divergence';
import { type Program, declareUniforms, perRow, registerProgram, reduceRowWgsl, rowMain, rowThreads } from './program';

const UNIFORMS = declareUniforms({
  temperature: 'f32', w: 'f32', sampleTemperature: 'f32', tau: 'f32', topK: 'f32', uOffset: 'i32',
});

/** WGSL: `argmaxRow(v, i, tid)`, the index of the largest of one (value, index) pair a thread, ties to the smaller. */
const argmaxWgsl = (WG: number) => `
  var<workgroup> argVal : array<f32, ${WG}>;
  var<workgroup> argIdx : array<u32, ${WG}>;
  fn argmaxRow(v : f32, i : u32, tid : u32) -> u32 {
    argVal[tid] = v;
    argIdx[tid] = i;
    workgroupBarrier();
    for (var w = ${WG / 2}u; w > 0u; w = w >> 1u) {
      if (tid < w) {
        let a = argVal[tid]; let b = argVal[tid + w];
        if (b > a || (b == a && argIdx[tid + w] < argIdx[tid])) { argVal[tid] = b; argIdx[tid] = argIdx[tid + w]; }
      }
      workgroupBarrier();
    }
    let r = argIdx[0];
    workgroupBarrier();
    return r;
  }`;

function program(shapes: number[][], a: RolloutChoiceAttrs): Program {
  const [B, V] = shapes[0] as [number, number];
  const WG = rowThreads(V, 128);
  const trigger = TRIGGERS[a.trigger];
  if (trigger === undefined) throw new Error(`unknown trigger ${a.trigger}`);
  const fire = TRIGGER_TABLE[trigger].wgsl;
  return {
    variableNames: ['lt', 'ls', 'u'],
    outputShape: [B, 4],
    shaderKey: `kdRolloutChoice_${a.kind}_${a.trigger}`,
    uniforms: UNIFORMS.wgsl,
    ...perRow(B, WG),
    getUserCode: () => `
  ${reduceRowWgsl(WG)}
  ${argmaxWgsl(WG)}
  ${DIVERGENCE_WGSL}
  ${rowMain('u32(uniforms.ltShape[0])', `
    let V = u32(uniforms.ltShape[1]);
    let base = row * V;
    let T = uniforms.temperature;
    // log-softmax of both at temperature T
    var mt = -3.4e38; var ms = -3.4e38;
    for (var j = tid; j < V; j = j + ${WG}u) { mt = max(mt, lt[base + j] / T); ms = max(ms, ls[base + j] / T); }
    let maxT = reduceRow(mt, tid, true);
    let maxS = reduceRow(ms, tid, true);
    var et = 0.0; var es = 0.0;
    for (var j = tid; j < V; j = j + ${WG}u) { et = et + exp(lt[base + j] / T - maxT); es = es + exp(ls[base + j] / T - maxS); }
    let lseT = maxT + log(reduceRow(et, tid, false));
    let lseS = maxS + log(reduceRow(es, tid, false));
    var dd = 0.0;
    for (var j = tid; j < V; j = j + ${WG}u) {
      let lT = lt[base + j] / T - lseT;
      let lS = ls[base + j] / T - lseS;
      dd = dd + ${divergenceRow(a.kind).wgsl.term};
    }
    let d = max(reduceRow(dd, tid, false), 0.0);
    // Gumbel-max samples of both with the same noise
    var bs = -3.4e38; var bsi = 0u; var bt = -3.4e38; var bti = 0u;
    for (var j = tid; j < V; j = j + ${WG}u) {
      let g = -log(-log(u[u32(uniforms.uOffset) + base + j]));
      let s = ls[base + j] / uniforms.sampleTemperature + g;
      let t = lt[base + j] / uniforms.sampleTemperature + g;
      if (s > bs) { bs = s; bsi = j; }
      if (t > bt) { bt = t; bti = j; }
    }
    let prop = argmaxRow(bs, bsi, tid);
    let teach = argmaxRow(bt, bti, tid);
    // topk: prop is in the teacher's top K unless K entries are strictly above it
    let picked = lt[base + prop];
    var cnt = 0.0;
    for (var j = tid; j < V; j = j + ${WG}u) { if (lt[base + j] > picked) { cnt = cnt + 1.0; } }
    let above = reduceRow(cnt, tid, false);
    let fire = ${fire};
    if (tid == 0u) {
      result[row * 4u] = f32(select(prop, teach, fire));
      result[row * 4u + 1u] = f32(prop);
      result[row * 4u + 2u] = select(0.0, 1.0, fire);
      result[row * 4u + 3u] = d;
    }`)}`,
  };
}

export function registerRolloutChoice(): void {
  registerProgram(FUSED.rolloutChoice, ['lt', 'ls', 'u'], (shapes, attrs) => {
    const a = attrs as unknown as RolloutChoiceAttrs & { uOffset?: number };
    return { program: program(shapes, a), uniforms: UNIFORMS.values({ ...a, uOffset: a.uOffset ?? 0 }) };
  });
}
