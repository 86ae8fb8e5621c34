/**
 * A whole run, host-independent: resolve the config, get the teacher, evaluate at step 0, train,
 * evaluate every evalEvery steps and at the end. The CLI (scripts/distill.ts) and the browser
 * worker both drive this.
 */
import type { Transformer } from '../model/transformer';
import { type Preset, getPreset } from '../data/presets';
import type { DistillConfig } from './config';
import { resolveConfig } from './resolve';

export { resolveConfig };
import { METHOD_SPECS } from './methods';
import type { DataSource } from '../data/source';
import { disposeModel } from './models';
import { type EvalRecord, type FinalRecord, type StepRecord, Trainer } from './trainer';

export interface RunResult {
  config: DistillConfig;
  base: string;
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

export interface ProvidedModel {
  model: Transformer;
  /** Where it came from, for the output (e.g. "cached in .cache/…", "trained here in 40 s"). */
  origin: string;
}

/**
 * What a host (Node scripts, the browser worker) supplies to a run: the preset's data (reading
 * corpus files as it can), its base and its frozen teacher (the ft model). The run owns the models
 * it gets.
 */
export interface Host {
  data(preset: Preset): Promise<DataSource>;
  base(preset: Preset, data: DataSource): Promise<ProvidedModel>;
  teacher(preset: Preset, base: Transformer, data: DataSource): Promise<ProvidedModel>;
}

/**
 * Gets a run's data, base and (for the KD methods) teacher from the host and builds its trainer.
 * The base is freed once the trained model is built from it; the caller owns the trainer and the
 * teacher.
 */
export async function prepareTrainer(cfg: DistillConfig, host: Host, preset: Preset = getPreset(cfg.preset)): Promise<{ trainer: Trainer; teacher: ProvidedModel | null; baseOrigin: string }> {
  const data = await host.data(preset);
  const base = await host.base(preset, data);
  let teacher: ProvidedModel | null = null;
  try {
    teacher = METHOD_SPECS[cfg.method].signal !== 'ce' ? await host.teacher(preset, base.model, data) : null;
    const trainer = await Trainer.create(cfg, data, base.model, teacher?.model ?? null);
    return { trainer, teacher, baseOrigin: base.origin };
  } catch (e) {
    disposeModel(teacher?.model);
    throw e;
  } finally {
    disposeModel(base.model);
  }
}

export async function runDistill(cfg: DistillConfig, host: Host, hooks: RunHooks = {}, preset: Preset = getPreset(cfg.preset)): Promise<RunResult> {
  const { trainer, teacher, baseOrigin } = await prepareTrainer(cfg, host, preset);
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
      base: baseOrigin,
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
