/**
 * The lessons' actions: entering them keeps the person's own config aside and sets the lesson's
 * experiment; moving between lessons sets each one's; leaving brings the own config back. Running a
 * lesson is an ordinary run (or a small paper table), timed and logged when it finishes.
 */
import { LESSONS, LESSON_COUNT, lessonConfig } from '../config/lessons';
import type { DistillConfig } from '../config/knobs';
import { pushUrl } from './link';
import { metrics } from './metrics';
import { play, reset, runPaper, stopPaper } from './engine';
import { type AppState, type LessonRun, useApp } from './store';
import type { View } from './url';

const clampLesson = (n: number) => Math.min(LESSON_COUNT, Math.max(1, Math.round(n)));

/** Stops what runs (a run or a paper table) so that the next lesson starts clean. */
async function stopWork(): Promise<void> {
  if (useApp.getState().paper.status === 'running') await stopPaper();
  await reset();
}

function showLesson(n: number, own: DistillConfig | null): void {
  const s = useApp.getState();
  s.set({ config: lessonConfig(n), ownConfig: own, page: { ...s.page, view: 'lessons', lesson: n } });
}

/** Opens the lessons (at the lesson in the page's settings, or `n`), keeping the config in use aside. */
export async function openLessons(n?: number): Promise<void> {
  const s = useApp.getState();
  const own = s.page.view === 'lessons' ? s.ownConfig : s.config;
  showLesson(clampLesson(n ?? s.page.lesson), own);
  pushUrl();
  await stopWork();
}

export async function goToLesson(n: number): Promise<void> {
  const target = clampLesson(n);
  if (target === useApp.getState().page.lesson) return;
  showLesson(target, useApp.getState().ownConfig);
  pushUrl();
  await stopWork();
}

/** Leaves the lessons for another view, with the config that was in use before them. */
export async function leaveLessons(view: Exclude<View, 'lessons'>): Promise<void> {
  const s = useApp.getState();
  s.set({ config: s.ownConfig ?? s.config, ownConfig: null, page: { ...s.page, view } });
  pushUrl();
  await stopWork();
}

/** A link opened at a lesson: its experiment, whatever knobs the link had (they are kept as the own config). */
export function lessonFromLink(): void {
  const s = useApp.getState();
  if (s.page.view !== 'lessons') {
    s.set({ ownConfig: null });
    return;
  }
  showLesson(clampLesson(s.page.lesson), s.ownConfig ?? s.config);
}

/** Runs the lesson shown: its experiment, or (compare) the run it offers to compare with. */
export async function runLesson(compare = false): Promise<void> {
  const s = useApp.getState();
  const n = s.page.lesson;
  const e = LESSONS[n - 1]!.experiment;
  await stopWork();
  // A table finished earlier must not count as this run's end.
  s.set({ config: lessonConfig(n, compare), paper: { ...useApp.getState().paper, status: 'idle' } });
  pushUrl();
  const engine = useApp.getState().engine;
  const run: LessonRun = { lesson: n, compare, startedAt: Date.now(), seconds: null, backend: engine.kind === 'ready' ? engine.info.name : null };
  useApp.getState().set({ lessonRuns: [...useApp.getState().lessonRuns, run] });
  if (e.kind === 'table') await runPaper({ preset: e.preset, steps: e.steps, seeds: 1, methods: e.methods });
  else await play();
}

/** Whether the work a lesson run started has finished (its run, or its table). */
function finished(s: AppState, run: LessonRun): boolean {
  return LESSONS[run.lesson - 1]!.experiment.kind === 'table' ? s.paper.status === 'done' : s.status === 'done';
}

// Times a lesson run and keeps what it measured once it finishes.
useApp.subscribe((s) => {
  const run = s.lessonRuns.at(-1);
  if (!run || run.seconds !== null || !finished(s, run)) return;
  const done: LessonRun = { ...run, seconds: (Date.now() - run.startedAt) / 1000, teacherTokenShare: metrics.final?.teacherTokenShare, rougeL: metrics.final?.rougeL };
  s.set({ lessonRuns: [...s.lessonRuns.slice(0, -1), done] });
});

/** Leaves the lessons for the playground with the lesson's run as the config, to change any knob of it. */
export async function openInPlayground(): Promise<void> {
  const s = useApp.getState();
  s.set({ ownConfig: s.config });
  await leaveLessons('play');
}
