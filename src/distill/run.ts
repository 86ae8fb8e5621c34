/**
 * A whole run, host-independent: get the data, base and teacher from the host, build the
 * trainer, and drive it (driver.ts) from the step-0 evaluation to the final record. The CLI, the
 * paper table and the browser worker's session all start runs here.
 */
import { type Preset, getPreset } from '../config/presets';
import type { DistillConfig } from '../config/knobs';
import { METHOD_SPECS } from '../config/methods';
import type { EvalRecord, FinalRecord, RunInfo, StepRecord } from '../protocol/records';
import { StepDriver } from './driver';
import type { Host, ProvidedModel } from './host';
import { disposeModel } from './models';
import { Trainer } from './trainer';

/** What `npm run distill -- --json` writes. */
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
  /** Every step, with the steps done after it; throwing abandons the run (its models are freed). */
  onStep?(rec: StepRecord, done: number): void;
  onEval?(rec: EvalRecord): void;
  /** Asked between steps: true stops early (the run is still evaluated and measured where it stopped). */
  shouldStop?(): boolean;
  /** After the final record, with the trained model still alive (e.g. to export it). */
  onTrained?(trainer: Trainer): Promise<void>;
}

export const NO_TEACHER = 'none (this method trains on gold data only)';

export interface PreparedRun {
  trainer: Trainer;
  teacher: ProvidedModel | null;
  baseOrigin: string;
}

/**
 * Gets a run's data, base and (for the KD methods) teacher from the host and builds its trainer.
 * The base is freed once the trained model is built from it; the caller owns the trainer and the
 * teacher.
 */
export async function prepareTrainer(cfg: DistillConfig, host: Host, preset: Preset = getPreset(cfg.preset)): Promise<PreparedRun> {
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

export function disposePrepared(p: PreparedRun): void {
  p.trainer.dispose();
  disposeModel(p.teacher?.model);
}

/** What the page shows of a prepared run before its first step. */
export function runInfo(p: PreparedRun): RunInfo {
  const { trainer } = p;
  const counts = trainer.paramCounts();
  const lora = trainer.model.lora;
  return {
    config: trainer.cfg,
    base: p.baseOrigin,
    teacher: p.teacher?.origin ?? NO_TEACHER,
    layerMap: trainer.layerMap(),
    studentLayers: trainer.model.config.nLayer,
    tau0: trainer.schedule?.tau0 ?? null,
    tauMin: trainer.schedule?.tauMin ?? null,
    trainableParams: counts.trainable,
    totalParams: counts.total,
    teacherParams: counts.teacher,
    loraRank: lora?.config.rank ?? null,
    loraModules: lora ? Object.keys(lora.tensors).filter((n) => n.endsWith('.lora_A')).map((n) => n.slice(0, -'.lora_A'.length)) : [],
  };
}

export async function runDistill(cfg: DistillConfig, host: Host, hooks: RunHooks = {}, preset: Preset = getPreset(cfg.preset)): Promise<RunResult> {
  const prepared = await prepareTrainer(cfg, host, preset);
  const { trainer } = prepared;
  try {
    const evals: EvalRecord[] = [];
    const steps: StepRecord[] = [];
    let final: FinalRecord | null = null;
    await new StepDriver(trainer, { final: true }).run({
      onStep: (rec, done) => {
        steps.push(rec);
        hooks.onStep?.(rec, done);
      },
      onEval: (ev) => {
        evals.push(ev);
        hooks.onEval?.(ev);
      },
      onFinal: (f) => (final = f),
      shouldStop: hooks.shouldStop && (() => hooks.shouldStop!()),
    });
    await hooks.onTrained?.(trainer);
    const info = runInfo(prepared);
    return { config: cfg, base: info.base, teacher: info.teacher, layerMap: info.layerMap, tau0: info.tau0, evals, steps, final: final! };
  } finally {
    disposePrepared(prepared);
  }
}
