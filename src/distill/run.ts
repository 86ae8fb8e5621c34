/**
 * A whole run, host-independent: resolve the config, get the teacher, evaluate at step 0, train,
 * evaluate every evalEvery steps and at the end. The CLI (scripts/distill.ts) and the browser
 * worker both drive this.
 */
import type { Transformer } from '../model/transformer';
import { type Preset, PRESET_NAMES, getPreset } from '../data/presets';
import { BASE_DEFAULTS, type DistillConfig, validateConfig } from './config';
import { METHOD_SPECS } from './methods';
import { baseModel, disposeModel } from './models';
import { type EvalRecord, type FinalRecord, type StepRecord, Trainer } from './trainer';

/** Base defaults, then the method's, then the preset's, then the caller's overrides. */
export function resolveConfig(overrides: Partial<DistillConfig>): DistillConfig {
  const preset = getPreset(overrides.preset ?? BASE_DEFAULTS.preset);
  const method = overrides.method ?? BASE_DEFAULTS.method;
  const spec = METHOD_SPECS[method];
  if (!spec) throw new Error(`unknown method ${JSON.stringify(method)}`);
  const cfg: DistillConfig = { ...BASE_DEFAULTS, ...spec.defaults, ...preset.defaults, ...overrides, preset: preset.name, method };
  validateConfig(cfg, PRESET_NAMES);
  return cfg;
}

export interface RunResult {
  config: DistillConfig;
  teacher: string;
  layerMap: number[];
  tau0: number | null;
  evals: EvalRecord[];
  steps: StepRecord[];
  final: FinalRecord;
}

export interface RunHooks {
  onStep?(rec: StepRecord): void;
  onEval?(rec: EvalRecord): void;
  /** Checked between steps: return true to stop early (the final metrics are still computed). */
  shouldStop?(): boolean;
}

/** Supplies the frozen teacher of a preset (the ft model) and says where it came from. */
export type TeacherProvider = (preset: Preset, base: Transformer) => Promise<{ model: Transformer; origin: string }>;

export async function runDistill(cfg: DistillConfig, getTeacher: TeacherProvider, hooks: RunHooks = {}): Promise<RunResult> {
  const preset = getPreset(cfg.preset);
  const base = baseModel(preset);
  const needsTeacher = METHOD_SPECS[cfg.method].signal !== 'ce';
  const teacher = needsTeacher ? await getTeacher(preset, base) : null;
  const trainer = await Trainer.create(cfg, preset, base, teacher?.model ?? null);
  disposeModel(base);
  try {
    const evals: EvalRecord[] = [];
    const steps: StepRecord[] = [];
    const ev0 = await trainer.evaluate();
    evals.push(ev0);
    hooks.onEval?.(ev0);
    for (let s = 0; s < cfg.steps && !hooks.shouldStop?.(); s++) {
      const rec = await trainer.trainStep();
      steps.push(rec);
      hooks.onStep?.(rec);
      if (cfg.evalEvery > 0 && (s + 1) % cfg.evalEvery === 0 && s + 1 < cfg.steps) {
        const ev = await trainer.evaluate();
        evals.push(ev);
        hooks.onEval?.(ev);
      }
    }
    const last = await trainer.evaluate();
    evals.push(last);
    hooks.onEval?.(last);
    const final = await trainer.finalMetrics(last);
    return {
      config: cfg,
      teacher: teacher ? teacher.origin : 'none (this method trains on gold data only)',
      layerMap: trainer.layerMap(),
      tau0: trainer.schedule?.tau0 ?? null,
      evals,
      steps,
      final,
    };
  } finally {
    trainer.dispose();
    disposeModel(teacher?.model);
  }
}
