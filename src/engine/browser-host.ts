/**
 * The browser host of a run, inside the engine worker (src/distill/host.ts): files fetched from
 * the app's own origin (public/data and public/models in the build), the person's own text, and
 * anything not shipped made from its recipe here with its progress reported.
 */
import { type Host, type HostFiles, createHost } from '../distill/host';
import type { UserText } from '../protocol/messages';

/** The file, or null when the server does not have it. */
async function fetchOk(url: string): Promise<Response | null> {
  const r = await fetch(url);
  // Static servers with a single-page fallback (vite preview, many hosts) answer a missing file
  // with the app's index.html and status 200: no file we fetch is HTML.
  if (r.status === 404 || (r.headers.get('content-type') ?? '').includes('text/html')) return null;
  if (!r.ok) throw new Error(`could not load ${url}: HTTP ${r.status}`);
  return r;
}

export function browserFiles(baseUrl: string, progress: HostFiles['progress'], userText: () => UserText | null = () => null): HostFiles {
  return {
    text: async (path) => (await fetchOk(`${baseUrl}${path}`))?.text() ?? null,
    bytes: async (path) => {
      const r = await fetchOk(`${baseUrl}${path}`);
      return r ? new Uint8Array(await r.arrayBuffer()) : null;
    },
    missing: (path) => `${path} is missing from this build`,
    label: (path) => path,
    userText,
    progress,
  };
}

export function browserHost(baseUrl: string, progress: HostFiles['progress'], userText?: () => UserText | null): Host {
  return createHost(browserFiles(baseUrl, progress, userText));
}
