/** A titled panel with a one-paragraph explainer (hidden in a classroom link with hide=explainers). */
import type { ReactNode } from 'react';
import { useApp } from '../state/store';

export function Panel({ id, title, explainer, children }: { id: string; title: string; explainer: ReactNode; children: ReactNode }) {
  const hideExplainers = useApp((s) => s.hide.includes('explainers'));
  return (
    <section className="panel" aria-labelledby={`${id}-title`} data-testid={`panel-${id}`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {!hideExplainers && <p className="explainer">{explainer}</p>}
      {children}
    </section>
  );
}

/**
 * A panel of settings rather than results: lighter than the result panels and foldable under its
 * title. It starts open, so its fields are at hand (the browser tests fill them directly).
 */
export function SecondaryPanel(props: { id: string; testId: string; title: string; note?: string; explainer?: ReactNode; children: ReactNode }) {
  const { id, testId, title, note, explainer, children } = props;
  const hideExplainers = useApp((s) => s.hide.includes('explainers'));
  return (
    <section className="panel panel-secondary" aria-labelledby={`${id}-title`} data-testid={testId}>
      <details open>
        <summary>
          <h2 id={`${id}-title`}>{title}</h2>
          {note && <span className="summary-note"> {note}</span>}
        </summary>
        {explainer && !hideExplainers && <p className="explainer">{explainer}</p>}
        {children}
      </details>
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}
