/**
 * The app's state (zustand): the serialisable run config with the backend and classroom flags
 * (mirrored in the URL), the engine and run status, and a version counter for the metrics, which
 * live outside React state (state/metrics.ts).
 */
import { create } from 'zustand';
import type { DistillConfig, Method } from '../config/knobs';
import type { BackendInfo, BackendName } from '../protocol/backend';
import type { FinalRecord, PaperStatus, RunInfo, RunStatus } from '../protocol/records';
import type { ImportedModelInfo } from '../protocol/messages';
import type { ResourcePlan, ResourceRecord } from '../protocol/resources';
import { type Hideable, PAGE_DEFAULTS, type PageState } from './url';

/** The paper table being run or last run in this page: its plan, finished runs and progress. */
export interface PaperState {
  status: PaperStatus | 'idle';
  message?: string;
  /** The plan of the table shown (set when it starts). */
  plan: { preset: string; steps: number; seeds: number; methods?: Method[] } | null;
  runs: Partial<Record<Method, FinalRecord[]>>;
  current: { method: Method; seed: number; done: number; of: number } | null;
  /** The backend it ran on, for the export's header. */
  backend: string | null;
  startedAt: number;
  wallSeconds: number | null;
}

/** The resources table being measured or last measured in this page: its rows and the method under way. */
export interface ResourcesState {
  status: PaperStatus | 'idle';
  message?: string;
  plan: ResourcePlan | null;
  rows: ResourceRecord[];
  current: Method | null;
  backend: string | null;
  startedAt: number;
  wallSeconds: number | null;
}

/** A run started from a lesson (its Run this, or its comparison), and once finished what it measured. */
export interface LessonRun {
  lesson: number;
  compare: boolean;
  startedAt: number;
  /** Set when it finished. */
  seconds: number | null;
  backend: string | null;
  teacherTokenShare?: number;
  rougeL?: number;
}

export interface AppState {
  config: DistillConfig;
  backend: BackendName | null;
  hide: Hideable[];
  page: PageState;
  paper: PaperState;
  resources: ResourcesState;
  /** The person's own config, kept while the lessons set theirs; it comes back on leaving them. */
  ownConfig: DistillConfig | null;
  /** Runs started from the lessons in this page, the latest last. */
  lessonRuns: LessonRun[];
  /** What the link had that was ignored or changed. */
  notices: string[];
  engine: { kind: 'starting' } | { kind: 'ready'; info: BackendInfo } | { kind: 'error'; message: string } | { kind: 'lost'; message: string; info: BackendInfo | null };
  /** The quick gradient self-check run at start on a GPU backend: null until it has run. */
  startCheck: { ok: boolean; maxGradRelErr: number; backend: string } | null;
  status: RunStatus | 'idle';
  /** Steps done in the run shown. */
  done: number;
  runInfo: RunInfo | null;
  /** The metrics shown were restored (after a reload or from a file): there is no live run. */
  restored: boolean;
  /** Counted work before a run (a teacher trained on first use, a download), and when its step 0 came. */
  progress: { what: string; done: number; of: number; startedAt: number } | null;
  error: string | null;
  /** A model brought in (runs use it as teacher and base), an import under way, or why the last one failed. */
  imported: { kind: 'none' } | { kind: 'loading' } | { kind: 'ready'; info: ImportedModelInfo } | { kind: 'failed'; message: string; before: ImportedModelInfo | null };
  metricsVersion: number;
  set(partial: Partial<Omit<AppState, 'set'>>): void;
  bumpMetrics(): void;
}

export const useApp = create<AppState>((set) => ({
  config: null as unknown as DistillConfig, // set from the URL before the first render
  backend: null,
  hide: [],
  page: { ...PAGE_DEFAULTS },
  paper: { status: 'idle', plan: null, runs: {}, current: null, backend: null, startedAt: 0, wallSeconds: null },
  resources: { status: 'idle', plan: null, rows: [], current: null, backend: null, startedAt: 0, wallSeconds: null },
  ownConfig: null,
  lessonRuns: [],
  notices: [],
  engine: { kind: 'starting' },
  startCheck: null,
  status: 'idle',
  done: 0,
  runInfo: null,
  restored: false,
  progress: null,
  error: null,
  imported: { kind: 'none' },
  metricsVersion: 0,
  set: (partial) => set(partial),
  bumpMetrics: () => set((s) => ({ metricsVersion: s.metricsVersion + 1 })),
}));
