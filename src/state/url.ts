/**
 * The URL codec: the hash holds the whole run config, versioned, one short key per
 * knob from the table in config/knobs.ts (read by its own parser, in its clamping mode), plus the
 * backend and classroom `hide=` flags.
 *
 * Links are untrusted input. Decoding never throws: unknown keys are ignored, out-of-range numbers
 * clamped, malformed values replaced by the default, a too-long hash or another version ignored —
 * each with a notice the UI shows. Metrics never go in the URL.
 */
import { BASE_DEFAULTS, type DistillConfig, KNOBS, type Knob, type KnobReading, METHODS, type Method, earlierReading, readKnob as readKnobText } from '../config/knobs';
import { PRESET_NAMES } from '../config/presets';
import { PAPER_SEEDS_MAX } from '../config/paper-plan';
import { LESSON_COUNT } from '../config/lessons';
import { BACKEND_ORDER, type BackendName } from '../protocol/backend';

export const URL_VERSION = 2;
/**
 * Links of version 1 were made before the threshold along the response: their runs decayed τ over
 * training steps and triggered on the loss's divergence, and they are read that way.
 */
const THRESHOLD_KNOBS_SINCE = 2;
/** Longest hash we read; a real link is well under 1 KB. */
export const MAX_HASH_LENGTH = 2048;
/** Panels and controls a classroom link can hide. */
export const HIDEABLE = ['config', 'threshold', 'layers', 'rank', 'memory', 'training', 'samples', 'table', 'backend', 'explainers', 'import'] as const;
export type Hideable = (typeof HIDEABLE)[number];

export const VIEWS = ['play', 'paper', 'lessons'] as const;
export type View = (typeof VIEWS)[number];

/** Settings of the page rather than of one run: which view, and the Paper table's budget. */
export interface PageState {
  view: View;
  /** Steps of every run of the paper table; null: the preset's default. */
  paperSteps: number | null;
  paperSeeds: number;
  /** The lesson shown in the lessons view, from 1. */
  lesson: number;
}

export const PAGE_DEFAULTS: PageState = { view: 'play', paperSteps: null, paperSeeds: 3, lesson: 1 };

/** The page's settings in the link, in the same form as the run's knob table (written when not the default). */
export const PAGE_KNOBS: Knob<keyof PageState>[] = [
  { key: 'view', short: 'view', kind: 'choice', choices: VIEWS, help: 'play: one run with live panels; paper: the paper table; lessons: the guided lessons' },
  { key: 'paperSteps', short: 'pts', kind: 'int', min: 1, max: 100000, help: 'steps of every run of the paper table' },
  { key: 'paperSeeds', short: 'pks', kind: 'int', min: 1, max: PAPER_SEEDS_MAX, help: 'seeds per method in the paper table' },
  { key: 'lesson', short: 'lesson', kind: 'int', min: 1, max: LESSON_COUNT, help: 'the lesson shown in the lessons view' },
];

export interface UrlState {
  config: DistillConfig;
  backend: BackendName | null;
  hide: Hideable[];
  /** Absent: the defaults. */
  page?: PageState;
}

export interface Decoded extends UrlState {
  page: PageState;
  /** What was ignored or changed, in words, for a visible notice. */
  notices: string[];
}

/** Resolves defaults for a preset and method (base < method < preset), without validation. */
export type Defaults = (preset: string, method: Method) => DistillConfig;

const RESERVED = { version: 'v', backend: 'be', hide: 'hide' };

function formatValue(k: Knob<string>, v: DistillConfig[keyof DistillConfig] | null): string {
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number') return String(v);
  return String(v);
}

/** The hash (without '#') for a state. Every knob is written, so a link pins the whole run. */
export function encodeState(s: UrlState): string {
  const parts = [`${RESERVED.version}=${URL_VERSION}`];
  for (const k of KNOBS) parts.push(`${k.short}=${encodeURIComponent(formatValue(k, s.config[k.key]))}`);
  if (s.backend) parts.push(`${RESERVED.backend}=${s.backend}`);
  if (s.hide.length) parts.push(`${RESERVED.hide}=${s.hide.join(',')}`);
  for (const k of PAGE_KNOBS) {
    const v = s.page?.[k.key] ?? PAGE_DEFAULTS[k.key];
    if (v !== PAGE_DEFAULTS[k.key]) parts.push(`${k.short}=${encodeURIComponent(formatValue(k, v))}`);
  }
  return parts.join('&');
}

/** A link's reading of a knob: numbers clamped into range (with a notice), not refused. */
const readKnob = (k: Knob<string>, text: string): KnobReading => readKnobText(k, text, 'clamp', PRESET_NAMES);

const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

/** Parses a hash (with or without '#') into a state and notices. Never throws. */
export function decodeState(hash: string, defaults: Defaults): Decoded {
  const notices: string[] = [];
  const fallback = (): Decoded => ({ config: defaults(BASE_DEFAULTS.preset, BASE_DEFAULTS.method), backend: null, hide: [], page: { ...PAGE_DEFAULTS }, notices });
  let h = hash.startsWith('#') ? hash.slice(1) : hash;
  if (h.length === 0) return fallback();
  if (h.length > MAX_HASH_LENGTH) {
    notices.push(`The link's settings are ${h.length} characters long (the limit is ${MAX_HASH_LENGTH}); they were ignored and the defaults loaded.`);
    return fallback();
  }
  const params = new Map<string, string>();
  for (const part of h.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    let value = eq < 0 ? '' : part.slice(eq + 1);
    try {
      value = decodeURIComponent(value);
    } catch {
      notices.push(`The value of "${key.slice(0, 20)}" is not valid URL text; it was ignored.`);
      continue;
    }
    if (params.has(key)) notices.push(`"${key.slice(0, 20)}" appears twice; the last one counts.`);
    params.set(key, value.trim());
  }
  const v = params.get(RESERVED.version);
  if (v === undefined) notices.push(`The link has no version; it was read as version ${URL_VERSION}.`);
  else if (v !== String(URL_VERSION) && v !== '1') {
    notices.push(`The link is version ${show(v)}, which this app cannot read (it reads versions 1 and ${URL_VERSION}); the defaults loaded.`);
    return fallback();
  }
  const version = v === undefined ? URL_VERSION : Number(v);
  const byShort = new Map(KNOBS.map((k) => [k.short, k]));
  const page: PageState = { ...PAGE_DEFAULTS };
  const pageByShort = new Map(PAGE_KNOBS.map((k) => [k.short, k]));
  // Preset and method first: they decide the defaults everything else falls back to.
  const pick = (key: 'preset' | 'method', fallbackValue: string): string => {
    const k = KNOBS.find((x) => x.key === key)!;
    const text = params.get(k.short);
    if (text === undefined) return fallbackValue;
    const r = readKnob(k, text);
    if (r.error !== undefined) {
      notices.push(`${key} ${show(text)} is ${r.error}; using ${fallbackValue}.`);
      return fallbackValue;
    }
    return r.value as string;
  };
  const preset = pick('preset', BASE_DEFAULTS.preset);
  const method = pick('method', BASE_DEFAULTS.method) as Method;
  const config = defaults(preset, METHODS.includes(method) ? method : BASE_DEFAULTS.method);
  for (const [key, text] of params) {
    if (key === RESERVED.version || key === RESERVED.backend || key === RESERVED.hide) continue;
    const pk = pageByShort.get(key);
    if (pk) {
      const r = readKnob(pk, text);
      if (r.error !== undefined) notices.push(`${pk.key} ${show(text)} is ${r.error}; using the default.`);
      else {
        (page as unknown as Record<string, unknown>)[pk.key] = r.value;
        if (r.clamped) notices.push(`${pk.key} ${show(text)} is out of range [${pk.min}, ${pk.max}]; set to ${formatValue(pk, r.value!)}.`);
      }
      continue;
    }
    const k = byShort.get(key);
    if (!k) {
      notices.push(`Unknown setting ${show(key)} was ignored.`);
      continue;
    }
    if (k.key === 'preset' || k.key === 'method') continue;
    const r = readKnob(k, text);
    if (r.error !== undefined) notices.push(`${k.key} ${show(text)} is ${r.error}; using the default ${formatValue(k, config[k.key])}.`);
    else {
      (config as unknown as Record<string, unknown>)[k.key] = r.value;
      if (r.clamped) notices.push(`${k.key} ${show(text)} is out of range [${k.min}, ${k.max}]; set to ${formatValue(k, r.value!)}.`);
    }
  }
  if (version < THRESHOLD_KNOBS_SINCE) {
    const earlier = earlierReading(config);
    const filled = (Object.keys(earlier) as (keyof typeof earlier)[]).filter((key) => !params.has(KNOBS.find((k) => k.key === key)!.short));
    for (const key of filled) (config as unknown as Record<string, unknown>)[key] = earlier[key];
    if (filled.length) notices.push(`This link predates the threshold along the response: it runs as it was made, with τ decaying over training steps and the trigger on the loss's divergence (${filled.map((k) => `${k} ${config[k]}`).join(', ')}).`);
  }
  if (config.tauMode === 'raw' && config.tauMin > config.tau0) {
    notices.push(`tauMin ${config.tauMin} was above tau0 ${config.tau0}; set to tau0.`);
    config.tauMin = config.tau0;
  }
  let backend: BackendName | null = null;
  const be = params.get(RESERVED.backend);
  if (be !== undefined) {
    if ((BACKEND_ORDER as readonly string[]).includes(be)) backend = be as BackendName;
    else notices.push(`Backend ${show(be)} is not one of ${BACKEND_ORDER.join(', ')}; choosing automatically.`);
  }
  const hide: Hideable[] = [];
  for (const item of (params.get(RESERVED.hide) ?? '').split(',').filter(Boolean)) {
    if ((HIDEABLE as readonly string[]).includes(item)) {
      if (!hide.includes(item as Hideable)) hide.push(item as Hideable);
    } else notices.push(`Cannot hide ${show(item)}; it is not one of ${HIDEABLE.join(', ')}.`);
  }
  return { config, backend, hide, page, notices };
}
