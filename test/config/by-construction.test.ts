/**
 * The tables are complete by construction: the typecheck of the source with one edit applied
 * fails where a name has no row. Each case compiles the edited file and what it imports (the
 * TypeScript compiler, as `npm run typecheck` runs it) and expects the error that names the missing row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';

const ROOT = join(__dirname, '..', '..');

/** The diagnostics of compiling `file` (and its imports) with `edit` applied to its text. */
function diagnosticsWith(file: string, edit: (src: string) => string): string[] {
  const path = join(ROOT, file);
  const original = readFileSync(path, 'utf8');
  const edited = edit(original);
  expect(edited, 'the edit applies').not.toBe(original);
  const { config } = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const host = ts.createCompilerHost({ ...options, noEmit: true });
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === path ? ts.createSourceFile(name, edited, lang) : read(name, lang, ...rest));
  const program = ts.createProgram([path], { ...options, noEmit: true }, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

test('the unedited files typecheck (the cases below fail only by their edit)', () => {
  for (const f of ['src/model/divergences.ts', 'src/model/triggers.ts', 'src/config/knobs.ts']) expect(diagnosticsWith(f, (s) => `${s}\n// edited\n`), f).toEqual([]);
});

test('a DivergenceKind without its row in DIVERGENCE_TABLE fails the typecheck', () => {
  const d = diagnosticsWith('src/model/divergences.ts', (s) => s.replace("'skl', 'tvd'] as const", "'skl', 'tvd', 'hellinger'] as const"));
  expect(d.join('\n')).toMatch(/Property 'hellinger' is missing/);
});

test('a Trigger without its row in TRIGGER_TABLE fails the typecheck', () => {
  const d = diagnosticsWith('src/model/triggers.ts', (s) => s.replace("'topk', 'none'] as const", "'topk', 'none', 'entropy'] as const"));
  expect(d.join('\n')).toMatch(/Property 'entropy' is missing/);
});

test('a DistillConfig field without its knob row fails the typecheck', () => {
  const d = diagnosticsWith('src/config/knobs.ts', (s) => s.replace('export interface DistillConfig {', 'export interface DistillConfig {\n  warmupFrac: number;'));
  expect(d.join('\n')).toMatch(/Property 'warmupFrac' is missing/);
});
