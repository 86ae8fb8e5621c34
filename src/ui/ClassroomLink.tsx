/**
 * The classroom-link builder: tick what students should not see (the knobs, some panels, the
 * explainers…) and copy a link to this exact run with those parts hidden (the URL's `hide=` flags).
 */
import { useState } from 'react';
import { HIDEABLE, type Hideable } from '../state/catalog';
import { classroomLink } from '../state/link';

const LABELS: Record<Hideable, string> = {
  config: 'every-knob panel',
  threshold: 'threshold panel',
  layers: 'per-layer panel',
  rank: 'LoRA rank panel',
  memory: 'memory panel',
  training: 'training panel',
  samples: 'samples panel',
  table: 'paper table view',
  backend: 'engine panel',
  explainers: 'explainers',
  import: 'model import',
};

export function ClassroomLink() {
  const [hide, setHide] = useState<Hideable[]>(['config', 'backend']);
  const [copied, setCopied] = useState<string | null>(null);
  const link = classroomLink(hide);
  const toggle = (h: Hideable) => setHide((xs) => (xs.includes(h) ? xs.filter((x) => x !== h) : HIDEABLE.filter((x) => x === h || xs.includes(x))));
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied('Copied.');
    } catch {
      setCopied('Select the link and copy it.');
    }
  };
  return (
    <details className="classroom" data-testid="classroom">
      <summary>Classroom link…</summary>
      <p className="muted">A link to this run's settings with parts of the page hidden, for a class: students see the same run and only what you choose.</p>
      <div className="classroom-flags">
        {HIDEABLE.map((h) => (
          <label key={h}>
            <input type="checkbox" data-testid={`classroom-hide-${h}`} checked={hide.includes(h)} onChange={() => toggle(h)} /> hide the {LABELS[h]}
          </label>
        ))}
      </div>
      <input className="classroom-link" readOnly value={link} data-testid="classroom-link" onFocus={(e) => e.target.select()} />
      <button type="button" data-testid="classroom-copy" onClick={() => void copy()}>
        Copy
      </button>
      {copied && <span className="muted"> {copied}</span>}
    </details>
  );
}
