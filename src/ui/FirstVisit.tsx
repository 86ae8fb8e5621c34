/**
 * One line for a newcomer: what to press first, and where the guided tour is. Shown until a run
 * has been made in this browser or the line is dismissed; either is remembered in localStorage.
 */
import { useEffect, useState } from 'react';
import { useApp } from '../state/store';

const KEY = 'kd-first-visit-dismissed';

/** Whether the line was dismissed or a run made before (storage may be unavailable: then never). */
function remembered(): boolean {
  try {
    return localStorage.getItem(KEY) !== null;
  } catch {
    return false;
  }
}

/** Stores why the line is gone for good: 'dismissed' or 'ran'. */
function remember(why: 'dismissed' | 'ran'): void {
  try {
    localStorage.setItem(KEY, why);
  } catch {
    // Private modes may refuse storage: the line then only stays hidden for this page.
  }
}

export function FirstVisit(props: { onStartLessons: () => void }) {
  const ran = useApp((s) => s.done > 0 || s.runInfo !== null);
  const [gone, setGone] = useState(remembered);
  // Once a run is made the line stays gone, also after a reset brings done back to 0.
  useEffect(() => {
    if (!ran) return;
    remember('ran');
    setGone(true);
  }, [ran]);
  if (ran || gone) return null;
  const dismiss = () => {
    remember('dismissed');
    setGone(true);
  };
  return (
    <aside className="first-visit" data-testid="first-visit" aria-label="Where to start">
      <span>
        New here? Press <b>Run</b> to watch a small student learn from its teacher — or start the <b>Lessons</b>, a guided
        tour in eight short runs.
      </span>
      <span className="first-visit-actions">
        <button type="button" data-testid="first-visit-lessons" onClick={props.onStartLessons}>
          Start the lessons
        </button>
        <button type="button" className="secondary" data-testid="first-visit-dismiss" onClick={dismiss}>
          Dismiss
        </button>
      </span>
    </aside>
  );
}
