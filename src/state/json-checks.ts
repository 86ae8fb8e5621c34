/**
 * Checks of untrusted JSON, value by value (run files: run-file.ts): each returns the value typed
 * or throws Bad naming the value's path. Pure functions, no tfjs.
 */

/** The first problem found: thrown by the checks below, turned into the file's message. */
export class Bad extends Error {}

export type Json = Record<string, unknown>;

/** A value's path for messages: `at.key` or `at[i]`. Built only when a value is wrong (200,000 steps stay fast). */
export function path(at: string, key: string | number): string {
  return typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${key}` : key;
}

/** A value as a message shows it: short, and never the whole of a big array or object. */
export function show(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

export function fail(at: string, key: string | number, v: unknown, what: string): never {
  const p = path(at, key);
  throw new Bad(v === undefined ? `${p} is missing (expected ${what})` : `${p} is ${show(v)}, not ${what}`);
}

// Each check takes a value with its path as `at` (its holder's path) and `key`, and returns
// it typed, or throws Bad naming the path. Values are read with plain property access (fast on
// JSON.parse's objects) and the path string is built only on failure.

export function obj(at: string, key: string | number, v: unknown): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, key, v, 'an object');
  return v as Json;
}

export function num(at: string, key: string | number, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, key, v, 'a number');
  return v;
}

/** A metric that may legitimately be NaN or infinite, which JSON.stringify writes as null: null → NaN. */
export function metric(at: string, key: string, v: unknown): number {
  return v === null ? NaN : num(at, key, v);
}

export function numOrNull(at: string, key: string, v: unknown): number | null {
  return v === null ? null : num(at, key, v);
}

/** A count or an index: a non-negative integer. */
export function int(at: string, key: string | number, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(at, key, v, 'a non-negative integer');
  return v;
}

export function bool(at: string, key: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(at, key, v, 'true or false');
  return v;
}

export function str(at: string, key: string | number, v: unknown, max = Infinity): string {
  if (typeof v !== 'string') fail(at, key, v, 'a string');
  if (v.length > max) throw new Bad(`${path(at, key)} has ${v.length} characters, more than ${max}`);
  return v;
}

/** An array, each element checked by `each(array's path, index, element)`. */
export function arr<T>(at: string, key: string, v: unknown, each: (at: string, i: number, x: unknown) => T, max = Infinity): T[] {
  if (!Array.isArray(v)) fail(at, key, v, 'an array');
  const p = path(at, key);
  if (v.length > max) throw new Bad(`${p} has ${v.length} entries, more than ${max}`);
  const out = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = each(p, i, v[i]);
  return out;
}

/** An array of finite numbers (or of non-negative integers), in one tight loop; kept as parsed (it holds nothing else). */
export function nums(at: string, key: string, v: unknown, integers = false): number[] {
  if (!Array.isArray(v)) fail(at, key, v, 'an array');
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !(integers ? Number.isSafeInteger(x) && x >= 0 : Number.isFinite(x))) (integers ? int : num)(path(at, key), i, x);
  }
  return v as number[];
}
