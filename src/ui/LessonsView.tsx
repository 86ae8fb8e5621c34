/**
 * The Lessons view: one lesson at a time (its text, a question to answer before running, Run this,
 * Previous / Next) beside the panels it talks about, highlighted; the others are hidden. ← / → move
 * between lessons and Enter runs, unless a field or a button has the focus.
 */
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { LESSONS, LESSON_COUNT, type LessonPanel, lessonTiming } from '../state/catalog';
import { goToLesson, openInPlayground, runLesson } from '../state/lessons';
import { useApp } from '../state/store';
import { LessonTable } from './LessonTable';
import { LayersPanel, MemoryPanel, RankPanel, SamplesPanel, ThresholdPanel, TrainingPanel } from './panels';

const PANEL_NAMES: Record<LessonPanel, string> = {
  training: 'Training',
  threshold: 'Threshold τ and intervention',
  layers: 'Per-layer divergence',
  samples: 'Samples',
  rank: 'LoRA rank',
  memory: 'Memory',
  table: 'The comparison',
};

/** Text with `code` in backticks. */
function Prose({ text }: { text: string }): ReactNode {
  return text.split('`').map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part));
}

/** Skips the keys a focused control handles itself. */
const ownsKeys = (t: EventTarget | null) => t instanceof HTMLElement && (/^(INPUT|SELECT|TEXTAREA|BUTTON|SUMMARY|A)$/.test(t.tagName) || t.isContentEditable);

function LessonPanels({ panels, methods }: { panels: LessonPanel[]; methods: Parameters<typeof LessonTable>[0]['methods'] }) {
  const hide = useApp((s) => s.hide);
  const shown = panels.filter((p) => p === 'table' || !hide.includes(p));
  const render: Record<LessonPanel, () => ReactNode> = {
    training: () => <TrainingPanel />,
    threshold: () => <ThresholdPanel />,
    layers: () => <LayersPanel />,
    samples: () => <SamplesPanel />,
    rank: () => <RankPanel />,
    memory: () => <MemoryPanel />,
    table: () => <LessonTable methods={methods} />,
  };
  return (
    <div className="lesson-panels">
      {shown.map((p) => (
        <div key={p} className="lesson-focus">
          {render[p]()}
        </div>
      ))}
    </div>
  );
}

export function LessonsView() {
  const n = useApp((s) => s.page.lesson);
  const lesson = LESSONS[n - 1]!;
  const e = lesson.experiment;
  const engine = useApp((s) => s.engine);
  const status = useApp((s) => s.status);
  const done = useApp((s) => s.done);
  const steps = useApp((s) => s.config.steps);
  const paperStatus = useApp((s) => s.paper.status);
  const allRuns = useApp((s) => s.lessonRuns);
  const runs = allRuns.filter((r) => r.lesson === n);
  const last = runs.at(-1);
  const [choice, setChoice] = useState<number | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const busy = status === 'preparing' || status === 'running' || paperStatus === 'running';
  const canRun = engine.kind === 'ready' && !busy;
  const revealed = runs.some((r) => r.seconds !== null);
  useEffect(() => {
    setChoice(null);
    heading.current?.focus();
  }, [n]);
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey || ownsKeys(ev.target)) return;
      if (ev.key === 'ArrowLeft' && n > 1) void goToLesson(n - 1);
      else if (ev.key === 'ArrowRight' && n < LESSON_COUNT) void goToLesson(n + 1);
      else if (ev.key === 'Enter' && canRun) void runLesson();
      else return;
      ev.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [n, canRun]);
  const budget = e.kind === 'table' ? `${e.methods.length} runs of ${e.steps} steps on ${e.preset}` : `${steps} steps of ${e.method} on ${e.preset}`;
  return (
    <div className="lessons" data-testid="lessons" data-lesson={n}>
      <section className="panel lesson" aria-label="Lesson" data-testid="lesson">
        <p className="lesson-count" data-testid="lesson-count">
          Lesson {n} of {LESSON_COUNT}
        </p>
        <h2 ref={heading} tabIndex={-1} data-testid="lesson-title">
          {lesson.title}
        </h2>
        {lesson.text.map((p, i) => (
          <p key={i}>
            <Prose text={p} />
          </p>
        ))}
        <p className="muted">Look at: {lesson.panels.map((p) => PANEL_NAMES[p]).join(' and ')} (highlighted).</p>
        <fieldset className="predict" data-testid="lesson-predict">
          <legend>Predict first</legend>
          <p>{lesson.predict.question}</p>
          {lesson.predict.choices.map((c, i) => (
            <label key={i} className={revealed && i === lesson.predict.answer ? 'answer' : undefined}>
              <input type="radio" name={`predict-${n}`} checked={choice === i} onChange={() => setChoice(i)} /> {c}
            </label>
          ))}
          {revealed ? (
            <p className="reveal" data-testid="lesson-answer">
              <b>{choice === null ? 'Answer' : choice === lesson.predict.answer ? 'Right' : 'Not quite'}:</b> {lesson.predict.choices[lesson.predict.answer]}. {lesson.predict.why}
            </p>
          ) : (
            <p className="muted">The answer shows once the run has finished.</p>
          )}
        </fieldset>
        <div className="lesson-run">
          <button type="button" data-testid="lesson-run" disabled={!canRun} onClick={() => void runLesson()}>
            Run this
          </button>
          {lesson.compare && revealed && (
            <button type="button" className="secondary" data-testid="lesson-compare" disabled={!canRun} onClick={() => void runLesson(true)}>
              {lesson.compare.label}
            </button>
          )}
          <span className="muted" data-testid="lesson-status" data-done={last?.seconds != null ? 'true' : 'false'}>
            {engine.kind === 'starting' ? 'starting the engine…' : engine.kind !== 'ready' ? 'the engine is not running: see the Playground tab' : busy && e.kind === 'run' ? `${status} · step ${done} of ${steps}` : busy ? 'running the table…' : last?.seconds != null ? `finished in ${last.seconds.toFixed(0)} s on ${last.backend ?? '?'}` : budget}
          </span>
        </div>
        {runs.filter((r) => r.seconds !== null).length > 1 && (
          <table className="small" data-testid="lesson-runs">
            <thead>
              <tr>
                <th>run</th>
                <th>teacher tokens</th>
                <th>ROUGE-L</th>
                <th>seconds</th>
              </tr>
            </thead>
            <tbody>
              {runs
                .filter((r) => r.seconds !== null)
                .map((r, i) => (
                  <tr key={i}>
                    <td>{r.compare ? lesson.compare?.label : 'Run this'}</td>
                    <td>{r.teacherTokenShare === undefined ? '—' : `${(100 * r.teacherTokenShare).toFixed(1)}%`}</td>
                    <td>{r.rougeL === undefined ? '—' : r.rougeL.toFixed(3)}</td>
                    <td>{r.seconds!.toFixed(0)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        )}
        <p className="muted small-print">{lessonTiming(lesson)}</p>
        <nav className="lesson-nav" aria-label="Lessons">
          <button type="button" className="secondary" disabled={n <= 1} onClick={() => void goToLesson(n - 1)}>
            Previous
          </button>
          <button type="button" disabled={n >= LESSON_COUNT} onClick={() => void goToLesson(n + 1)}>
            Next
          </button>
          <button type="button" className="link" data-testid="lesson-playground" onClick={() => void openInPlayground()} title="Open this lesson's run in the playground, with every knob">
            Try it in the playground
          </button>
        </nav>
      </section>
      <LessonPanels panels={lesson.panels} methods={e.kind === 'table' ? e.methods : []} />
    </div>
  );
}
