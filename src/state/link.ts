/** The page's link: the store's shareable state written to and read from the URL hash (codec in url.ts). */
import { lessonConfig } from '../config/lessons';
import { defaultsFor } from '../config/resolve';
import { lessonFromLink } from './lessons';
import { useApp } from './store';
import { type Hideable, type UrlState, decodeState, encodeState } from './url';

/** Applies the URL's state (on load, back/forward), with its notices. */
export function loadFromUrl(hash: string): void {
  const d = decodeState(hash, defaultsFor);
  useApp.getState().set({ config: d.config, backend: d.backend, hide: d.hide, page: d.page, notices: d.notices });
  lessonFromLink();
}

export function currentUrlState(): UrlState {
  const s = useApp.getState();
  return { config: s.config, backend: s.backend, hide: s.hide, page: s.page };
}

/** Writes the state into the URL (a new history entry, so back and forward work). */
export function pushUrl(): void {
  const hash = `#${encodeState(currentUrlState())}`;
  if (location.hash !== hash) history.pushState(null, '', hash);
}

/** A link to this exact run with the given parts hidden (a classroom link), or to a lesson with them hidden. */
export function classroomLink(hide: Hideable[], lesson: number | null = null): string {
  const s = currentUrlState();
  const state = lesson === null ? { ...s, hide } : { ...s, hide, config: lessonConfig(lesson), page: { ...s.page!, view: 'lessons' as const, lesson } };
  return `${location.origin}${location.pathname}#${encodeState(state)}`;
}

/** The hash of the run's config alone (what a saved run is keyed by). */
export function configHash(): string {
  const s = useApp.getState();
  return encodeState({ config: s.config, backend: s.backend, hide: s.hide });
}
