/**
 * First page of the playground: starts the engine (in its worker), shows which tfjs backend and
 * adapter are active, and runs the GPU-vs-CPU gradient self-check on demand.
 */
import { useEffect, useRef, useState } from 'react';
import { BACKEND_ORDER, type BackendInfo, type BackendName } from '../engine/backend-info';
import { EngineClient } from '../engine/client';
import type { SelfCheckReport } from '../engine/protocol';
import { BackendBadge } from './BackendBadge';
import { SelfCheck } from './SelfCheck';

type Status = { kind: 'starting' } | { kind: 'ready'; info: BackendInfo } | { kind: 'error'; message: string };

export function App() {
  const client = useRef<EngineClient | null>(null);
  const [status, setStatus] = useState<Status>({ kind: 'starting' });
  const [preferred, setPreferred] = useState<BackendName | ''>('');
  const [check, setCheck] = useState<{ running: boolean; report?: SelfCheckReport; error?: string }>({ running: false });

  useEffect(() => {
    const c = new EngineClient();
    client.current = c;
    return () => c.dispose();
  }, []);

  useEffect(() => {
    const c = client.current;
    if (!c) return;
    let live = true;
    setStatus({ kind: 'starting' });
    setCheck({ running: false });
    c.request({ type: 'init', backend: preferred || undefined })
      .then((info) => live && setStatus({ kind: 'ready', info }))
      .catch((e: Error) => live && setStatus({ kind: 'error', message: e.message }));
    return () => {
      live = false;
    };
  }, [preferred]);

  const runCheck = () => {
    setCheck({ running: true });
    client
      .current!.request({ type: 'selfCheck' })
      .then((report) => setCheck({ running: false, report }))
      .catch((e: Error) => setCheck({ running: false, error: e.message }));
  };

  return (
    <main className="app">
      <header className="topbar">
        <h1>KD Playground</h1>
        <p className="tagline">
          A teacher and a student language model training side by side on your GPU: selective teacher intervention + LoRA.
        </p>
      </header>
      <section className="panel" aria-labelledby="engine-title">
        <h2 id="engine-title">Engine</h2>
        {status.kind === 'starting' && <p data-testid="backend-status">Starting the engine…</p>}
        {status.kind === 'error' && (
          <p className="notice error" role="alert" data-testid="backend-status">
            The engine could not start: {status.message}
          </p>
        )}
        {status.kind === 'ready' && <BackendBadge info={status.info} />}
        <label className="field">
          Backend{' '}
          <select value={preferred} onChange={(e) => setPreferred(e.target.value as BackendName | '')} data-testid="backend-select">
            <option value="">automatic (webgpu → webgl → cpu)</option>
            {BACKEND_ORDER.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
      </section>
      <SelfCheck disabled={status.kind !== 'ready'} state={check} onRun={runCheck} />
    </main>
  );
}
