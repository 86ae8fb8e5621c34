/** The active backend and adapter, with a plain warning when timings are not representative. */
import { type BackendInfo, describeBackend } from '../state/catalog';

export function BackendBadge({ info }: { info: BackendInfo }) {
  return (
    <div data-testid="backend-badge" data-backend={info.name} data-software={String(info.software)} data-fallback={String(info.fallback)}>
      <p>
        <span className={`badge ${info.software ? 'badge-warn' : 'badge-ok'}`}>{describeBackend(info)}</span>
      </p>
      {info.adapter && (
        <p className="muted" data-testid="adapter">
          Adapter: vendor <b>{info.adapter.vendor || '—'}</b>, architecture <b>{info.adapter.architecture || '—'}</b>
          {info.adapter.description ? `, ${info.adapter.description}` : ''}
        </p>
      )}
      {info.fallback && (
        <p className="notice warn" data-testid="fallback-notice">
          Fallback: running on <b>{info.name}</b> because {info.fallbackReason}.
        </p>
      )}
      {info.software && (
        <p className="notice warn" data-testid="software-notice">
          {info.name === 'cpu' || info.name === 'wasm'
            ? `This is the CPU (${info.name}): training works but is slow, and timings do not say anything about GPUs.`
            : 'This is a software adapter (a CPU emulation of a GPU): results are real, timings are not representative.'}
        </p>
      )}
    </div>
  );
}
