/**
 * The fixed tables and pure helpers the page shows — methods, presets, the knob table, backends,
 * and the paper table's statistics — offered to the UI from the state layer, which is the only
 * place the UI takes values from. None of them touches the engine.
 */
export { KNOBS, METHODS, describeValid, type Knob, type Method } from '../config/knobs';
export { METHOD_SPECS } from '../config/methods';
export { TAU_DECAY_TABLE } from '../config/threshold';
export { LESSONS, LESSON_COUNT, lessonTiming, type Lesson, type LessonPanel } from '../config/lessons';
export { PRESETS, PRESET_NAMES, SUGGESTED_PAPER_PRESET } from '../config/presets';
export { defaultsFor } from '../config/resolve';
export { paperConfig } from '../config/paper-plan';
export { MEMORY_ORDER, MEMORY_PARTS, memoryBreakdown, type MemoryPart, type ResourceRecord } from '../protocol/resources';
export { resourcesMarkdown, stiRatios } from '../report/resources';
export { timeLeft } from '../protocol/progress';
export { BACKEND_ORDER, describeBackend, type BackendInfo, type BackendName } from '../protocol/backend';
export { PAPER, type PositionSet, type TableRow, pct, pm, positionCsv, ratios, signed, tableCsv, tableMarkdown, tableRows, pctPm } from '../report/paper-table';
export { HIDEABLE, PAGE_KNOBS, type Hideable, type PageState, type View } from './url';
