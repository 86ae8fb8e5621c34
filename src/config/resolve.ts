/**
 * Resolving a run's config from its layers of defaults. No tfjs here: the UI and the URL codec
 * use it too.
 */
import { PRESET_NAMES, getPreset } from './presets';
import { BASE_DEFAULTS, type DistillConfig, type Method, validateConfig } from './knobs';
import { METHOD_SPECS } from './methods';

/** The defaults of a preset and method: base < method < preset (general, then per method). */
export function defaultsFor(presetName: string, method: Method): DistillConfig {
  const preset = getPreset(presetName);
  const spec = METHOD_SPECS[method];
  if (!spec) throw new Error(`unknown method ${JSON.stringify(method)}`);
  const cfg: DistillConfig = { ...BASE_DEFAULTS, ...spec.defaults, ...preset.defaults, ...preset.methodDefaults?.[method], preset: preset.name, method };
  cfg.loraTargets = [...cfg.loraTargets]; // never share the defaults' array
  return cfg;
}

/** Base defaults, then the method's, then the preset's (general, then per method), then the caller's overrides. */
export function resolveConfig(overrides: Partial<DistillConfig>): DistillConfig {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<DistillConfig>;
  const cfg: DistillConfig = { ...defaultsFor(given.preset ?? BASE_DEFAULTS.preset, given.method ?? BASE_DEFAULTS.method), ...given };
  validateConfig(cfg, PRESET_NAMES);
  return cfg;
}

