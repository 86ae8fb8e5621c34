/**
 * The playground: controls, the engine's backend, and the live panels. The engine runs in a Web
 * Worker (state/engine.ts); this file and its components never import tfjs.
 */
import { useEffect, useState } from 'react';
import type { SelfCheckReport } from '../protocol/messages';
import { setBackend, setView } from '../state/actions';
import { BACKEND_ORDER, type BackendName, type View } from '../state/catalog';
import { Cancelled, loseDevice, selfCheck, startEngine } from '../state/engine';
import { loadFromUrl } from '../state/link';
import { useApp } from '../state/store';
import { BackendBadge } from './BackendBadge';
import { ConfigPanel } from './ConfigPanel';
import { Controls } from './Controls';
import { FirstVisit } from './FirstVisit';
import { ImportModel } from './ImportModel';
import { LessonsView } from './LessonsView';
import { PaperView } from './PaperView';
import { LayersPanel, MemoryPanel, RankPanel, SamplesPanel, ThresholdPanel, TrainingPanel } from './panels';
import { SelfCheck } from './SelfCheck';

function EnginePanel() {
  const engine = useApp((s) => s.engine);
  const backend = useApp((s) => s.backend);
  const [check, setCheck] = useState<{ running: boolean; report?: SelfCheckReport; error?: string }>({ running: false });
  const choose = (b: BackendName | '') => {
    setCheck({ running: false });
    setBackend(b || null);
  };
  const runCheck = () => {
    setCheck({ running: true });
    selfCheck()
      .then((report) => setCheck({ running: false, report }))
      .catch((e: Error) => setCheck(e instanceof Cancelled ? { running: false } : { running: false, error: e.message }));
  };
  return (
    <>
      <section className="panel" aria-labelledby="engine-title">
        <h2 id="engine-title">Engine</h2>
        {engine.kind === 'starting' && <p data-testid="backend-status">Starting the engine…</p>}
        {engine.kind === 'error' && (
          <p className="notice error" role="alert" data-testid="backend-status">
            The engine could not start: {engine.message}
          </p>
        )}
        {engine.kind === 'ready' && <BackendBadge info={engine.info} />}
        {engine.kind === 'lost' && (
          <div className="notice error" role="alert" data-testid="device-lost">
            {engine.message} Your settings and the metrics so far are kept.{' '}
            <button type="button" data-testid="engine-restart" onClick={() => void startEngine()}>
              Restart the engine
            </button>{' '}
            or choose another backend below.
          </div>
        )}
        <label className="field">
          Backend{' '}
          <select value={backend ?? ''} onChange={(e) => choose(e.target.value as BackendName | '')} data-testid="backend-select">
            <option value="">automatic (webgpu → webgl → wasm → cpu)</option>
            {BACKEND_ORDER.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
      </section>
      <SelfCheck disabled={engine.kind !== 'ready'} state={check} onRun={runCheck} />
      {engine.kind === 'ready' && engine.info.name === 'webgpu' && (
        <p className="muted">
          <button type="button" className="secondary" data-testid="lose-device" onClick={() => void loseDevice().catch(() => undefined)}>
            Simulate losing the GPU
          </button>{' '}
          destroys the WebGPU device as a driver reset would, to see how the playground recovers.
        </p>
      )}
    </>
  );
}

/** The start-up self-check's verdict: silent when it passes, a warning with a way out when not. */
function StartCheck() {
  const c = useApp((s) => s.startCheck);
  if (!c || c.ok) return c ? <span className="muted" data-testid="start-check" data-ok="true">Self-check passed on {c.backend} (gradients within {c.maxGradRelErr.toExponential(1)} of the CPU's).</span> : null;
  return (
    <div className="notice error" role="alert" data-testid="start-check" data-ok="false">
      The {c.backend} backend computed gradients that differ from the CPU's (relative error {c.maxGradRelErr.toExponential(2)}): its training results cannot be
      trusted here.{' '}
      <button
        type="button"
        onClick={() => setBackend('cpu')}
      >
        Switch to the CPU
      </button>
    </div>
  );
}

/** Playground (one run, live panels) or the Paper table; the choice is part of the link. */
function ViewTabs() {
  const view = useApp((s) => s.page.view);
  return (
    <nav className="tabs" role="tablist" aria-label="View">
      {(
        [
          ['play', 'Playground'],
          ['lessons', 'Lessons'],
          ['paper', 'Paper table'],
        ] as const
      ).map(([v, label]) => (
        <button key={v} type="button" role="tab" aria-selected={view === v} className={view === v ? 'tab active' : 'tab'} data-testid={`view-${v}`} onClick={() => setView(v as View)}>
          {label}
        </button>
      ))}
    </nav>
  );
}

function Notices() {
  const notices = useApp((s) => s.notices);
  if (notices.length === 0) return null;
  return (
    <div className="notice warn" role="status" data-testid="url-notices">
      <b>The link was adjusted:</b>
      <ul>
        {notices.map((n, i) => (
          <li key={i}>{n}</li>
        ))}
      </ul>
      <button type="button" onClick={() => useApp.getState().set({ notices: [] })}>
        Dismiss
      </button>
    </div>
  );
}

export function App() {
  const hide = useApp((s) => s.hide);
  const shown = (p: Parameters<typeof hide.includes>[0]) => !hide.includes(p);
  const view = useApp((s) => (s.page.view === 'paper' && s.hide.includes('table') ? 'play' : s.page.view));
  useEffect(() => {
    const onPop = () => loadFromUrl(location.hash);
    window.addEventListener('popstate', onPop);
    void startEngine();
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return (
    <main className="app">
      <header className="topbar">
        <h1>KD Playground</h1>
        <p className="tagline">A teacher and a student language model training side by side on your GPU: selective teacher intervention + LoRA.</p>
      </header>
      <Notices />
      <StartCheck />
      {shown('table') && <ViewTabs />}
      {view === 'paper' ? (
        <PaperView />
      ) : view === 'lessons' ? (
        <LessonsView />
      ) : (
        <>
          {shown('explainers') && <FirstVisit onStartLessons={() => setView('lessons')} />}
          <Controls />
          <div className="grid">
            {shown('training') && <TrainingPanel />}
            {shown('threshold') && <ThresholdPanel />}
            {shown('layers') && <LayersPanel />}
            {shown('samples') && <SamplesPanel />}
            {shown('rank') && <RankPanel />}
            {shown('memory') && <MemoryPanel />}
          </div>
          {shown('import') && <ImportModel />}
          {shown('config') && <ConfigPanel />}
        </>
      )}
      {shown('backend') && view !== 'lessons' && <EnginePanel />}
    </main>
  );
}
