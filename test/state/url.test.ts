/** The URL codec: round trips, and malformed or hostile links load defaults or clamped values with a notice. */
import { describe, expect, test } from 'vitest';
import { LESSON_COUNT } from '../../src/config/lessons';
import { defaultsFor, resolveConfig } from '../../src/config/resolve';
import { MAX_HASH_LENGTH, decodeState, encodeState } from '../../src/state/url';

const defaults = defaultsFor;
const base = () => resolveConfig({});

describe('round trip', () => {
  test('encode → decode restores every knob, the backend and hide flags, without notices', () => {
    const config = resolveConfig({ preset: 'tiny', method: 'skd', steps: 123, lr: 0.0042, loraTargets: ['q', 'fc2'], divergence: 'gjsd', beta: 0.3, seedData: 99, tauMode: 'raw', tau0: 2, tauMin: 0.1 });
    const hash = encodeState({ config, backend: 'cpu', hide: ['memory', 'rank'] });
    const d = decodeState(`#${hash}`, defaults);
    expect(d.notices).toEqual([]);
    expect(d.config).toEqual(config);
    expect(d.backend).toBe('cpu');
    expect(d.hide).toEqual(['memory', 'rank']);
    expect(hash.length).toBeLessThan(600);
  });
  test("the page's view and paper-table budget round-trip, and are left out of the link at their defaults", () => {
    const config = resolveConfig({ preset: 'tiny' });
    const hash = encodeState({ config, backend: null, hide: [], page: { view: 'paper', paperSteps: 40, paperSeeds: 2, lesson: 1 } });
    expect(hash).toContain('view=paper&pts=40&pks=2');
    const d = decodeState(`#${hash}`, defaults);
    expect(d.notices).toEqual([]);
    expect(d.page).toEqual({ view: 'paper', paperSteps: 40, paperSeeds: 2, lesson: 1 });
    expect(encodeState({ config, backend: null, hide: [], page: { view: 'play', paperSteps: null, paperSeeds: 3, lesson: 1 } })).not.toMatch(/view=|pts=|pks=|lesson=/);
    const bad = decodeState('#v=2&view=<script>&pks=999&pts=-4', defaults);
    expect(bad.page).toEqual({ view: 'play', paperSteps: 1, paperSeeds: 10, lesson: 1 });
    expect(bad.notices).toHaveLength(3);
  });
  test('a lesson link round-trips, and a lesson out of range is clamped with a notice', () => {
    const config = resolveConfig({ preset: 'tiny' });
    const hash = encodeState({ config, backend: null, hide: ['explainers'], page: { view: 'lessons', paperSteps: null, paperSeeds: 3, lesson: 4 } });
    expect(hash).toContain('view=lessons&lesson=4');
    expect(decodeState(hash, defaults).page.lesson).toBe(4);
    const far = decodeState('#v=2&view=lessons&lesson=99', defaults);
    expect(far.page).toMatchObject({ view: 'lessons', lesson: LESSON_COUNT });
    expect(far.notices).toEqual([`lesson "99" is out of range [1, ${LESSON_COUNT}]; set to ${LESSON_COUNT}.`]);
    expect(decodeState('#v=2&view=lessons&lesson=0', defaults).page.lesson).toBe(1);
  });
  test('an empty hash gives the defaults silently', () => {
    const d = decodeState('', defaults);
    expect(d.config).toEqual(base());
    expect(d.notices).toEqual([]);
  });
  test('a link of version 1 runs as it was made: τ over training steps, the trigger on the loss divergence', () => {
    const d = decodeState('#v=1&p=tiny&m=sti-lora&d=rkl&s=50', defaults);
    expect(d.config).toMatchObject({ tauDecay: 'step', triggerDivergence: 'rkl', divergence: 'rkl', steps: 50 });
    expect(d.notices).toEqual([expect.stringMatching(/predates the threshold along the response.*tauDecay step.*triggerDivergence rkl/)]);
    // What the version-1 link did say stands; a version-2 link without these keys takes today's defaults.
    expect(decodeState('#v=1&m=sti&tdc=both', defaults).config.tauDecay).toBe('both');
    expect(decodeState('#v=2&m=sti', defaults).config).toMatchObject({ tauDecay: 'position', tauShape: 'exp', tauLambda: 0.1, triggerDivergence: 'jsd' });
  });
  test('a partial link keeps the method defaults for what it does not say', () => {
    const d = decodeState('#v=2&m=gkd&s=50', defaults);
    expect(d.config.trigger).toBe('none');
    expect(d.config.steps).toBe(50);
    expect(d.notices).toEqual([]);
  });
});

const hostile: [string, string, (d: ReturnType<typeof decodeState>) => void][] = [
  ['huge steps', 'v=2&s=1e12', (d) => expect(d.config.steps).toBe(100000)],
  ['negative layers-like size', 'v=2&b=-5', (d) => expect(d.config.batchSize).toBe(1)],
  ['negative rank', 'v=2&r=-8', (d) => expect(d.config.loraRank).toBe(1)],
  ['NaN learning rate', 'v=2&lr=NaN', (d) => expect(d.config.lr).toBe(base().lr)],
  ['Infinity', 'v=2&t=Infinity', (d) => expect(d.config.temperature).toBe(base().temperature)],
  ['hex number', 'v=2&s=0x10', (d) => expect(d.config.steps).toBe(base().steps)],
  ['fractional integer', 'v=2&s=12.7', (d) => expect(d.config.steps).toBe(13)],
  ['unknown keys', 'v=2&foo=1&__proto__=x&constructor=y', (d) => expect(d.config).toEqual(base())],
  ['script injection in a value', 'v=2&m=%3Cscript%3Ealert(1)%3C%2Fscript%3E', (d) => expect(d.config.method).toBe('sti-lora')],
  ['script injection in a key', 'v=2&%3Cimg%20src=x%20onerror=alert(1)%3E=1', (d) => expect(d.config).toEqual(base())],
  ['bad percent-encoding', 'v=2&s=%E0%A4%A', (d) => expect(d.config.steps).toBe(base().steps)],
  ['10 KB hash', `v=2&s=5&${'x'.repeat(10 * 1024)}`, (d) => expect(d.config).toEqual(base())],
  ['future version', 'v=3&s=5', (d) => expect(d.config.steps).toBe(base().steps)],
  ['garbage version', 'v=abc&s=5', (d) => expect(d.config.steps).toBe(base().steps)],
  ['missing version', 's=7', (d) => expect(d.config.steps).toBe(7)],
  ['unknown preset', 'v=2&p=../../etc/passwd', (d) => expect(d.config.preset).toBe('tiny')],
  ['unknown method', 'v=2&m=magic', (d) => expect(d.config.method).toBe('sti-lora')],
  ['bad LoRA targets', 'v=2&lt=q,zz,q', (d) => expect(d.config.loraTargets).toEqual(base().loraTargets)],
  ['empty LoRA targets', 'v=2&lt=', (d) => expect(d.config.loraTargets).toEqual(base().loraTargets)],
  ['bad divergence', 'v=2&d=kl2', (d) => expect(d.config.divergence).toBe('fkl')],
  ['bad backend', 'v=2&be=tpu', (d) => expect(d.backend).toBeNull()],
  ['bad hide flag', 'v=2&hide=everything,memory', (d) => expect(d.hide).toEqual(['memory'])],
  ['tauMin above tau0', 'v=2&tm=raw&t0=0.5&tmin=3', (d) => expect(d.config.tauMin).toBe(0.5)],
  ['duplicate keys', 'v=2&s=5&s=9', (d) => expect(d.config.steps).toBe(9)],
  ['seed beyond 2^31', 'v=2&sd=99999999999', (d) => expect(d.config.seedData).toBe(2 ** 31 - 1)],
  ['negative q0', 'v=2&q0=-1', (d) => expect(d.config.q0).toBe(0)],
];

describe('malformed and hostile links load with defaults or clamped values and a notice', () => {
  for (const [what, hash, check] of hostile) {
    test(what, () => {
      let d: ReturnType<typeof decodeState> | undefined;
      expect(() => (d = decodeState(`#${hash}`, defaults))).not.toThrow();
      check(d!);
      expect(d!.notices.length, `a notice for ${what}`).toBeGreaterThan(0);
      // Whatever came in, the config is valid.
      expect(() => resolveConfig(d!.config)).not.toThrow();
    });
  }
  test('the length cap', () => {
    expect(decodeState('#' + 'v=2&'.repeat(MAX_HASH_LENGTH), defaults).notices[0]).toMatch(/limit is 2048/);
  });
});
