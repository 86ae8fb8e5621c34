/**
 * The classroom-link builder: tick what students should not see (the knobs, some panels, the
 * explainers…) and copy a link to this exact run with those parts hidden (the URL's `hide=` flags),
 * or to one of the lessons with them hidden.
 */
import { useState } from 'react';
import { HIDEABLE, type Hideable, LESSONS } from '../state/catalog';
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
  const [lesson, setLesson] = useState<number | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const link = classroomLink(hide, lesson);
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
      <label className="classroom-start">
        start at{' '}
        <select data-testid="classroom-lesson" value={lesson ?? ''} onChange={(e) => setLesson(e.target.value ? Number(e.target.value) : null)}>
          <option value="">this run, in the playground</option>
          {LESSONS.map((l, i) => (
            <option key={i} value={i + 1}>
              lesson {i + 1}: {l.title}
            </option>
          ))}
        </select>
      </label>
      <input className="classroom-link" readOnly value={link} data-testid="classroom-link" onFocus={(e) => e.target.select()} />
      <button type="button" data-testid="classroom-copy" onClick={() => void copy()}>
        Copy
      </button>
      {copied && <span className="muted"> {copied}</span>}
    </details>
  );
}
