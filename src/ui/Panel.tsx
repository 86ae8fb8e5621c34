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

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}
