import { describe, expect, it } from 'vitest';
import type { InspectorView } from '../../common/protocol.js';
import { inspectorLines, inspectorSummary } from './inspector-model.js';

const view = (rows: InspectorView['rows'], containerPid: number | null = 42): InspectorView => ({
  containerPid,
  rows,
  takenAt: '2025-01-01T00:00:00.000Z',
});

const uts = (differs: boolean) => ({ name: 'uts', container: differs ? 4026532281 : 4026531838, host: 4026531838, differs });
const net = { name: 'net', container: 4026531840, host: 4026531840, differs: false };

describe('inspectorLines', () => {
  it('marks each row with a symbol and words, not only colour', () => {
    const [a, b] = inspectorLines(view([uts(true), net]), null);
    expect(a).toMatchObject({ name: 'uts', container: '4026532281', host: '4026531838', differs: true, symbol: '≠', changed: false });
    expect(b).toMatchObject({ name: 'net', differs: false, symbol: '=' });
    expect(a?.meaning).toMatch(/own/);
    expect(b?.meaning).toMatch(/same/);
  });

  it('flags rows whose verdict changed since the previous view', () => {
    const before = view([uts(true), net]);
    const lines = inspectorLines(view([uts(false), net]), before);
    expect(lines.map((l) => [l.name, l.changed])).toEqual([
      ['uts', true],
      ['net', false],
    ]);
  });

  it('shows a dash and an unknown marker when there is no shell', () => {
    const [line] = inspectorLines(view([{ name: 'pid', container: null, host: 4026531836, differs: false }], null), null);
    expect(line).toMatchObject({ container: '—', symbol: '?' });
  });
});

describe('inspectorSummary', () => {
  it.each([
    [view([uts(true), net]), '1 of 2 namespaces are the shell\'s own.'],
    [view([uts(false), net]), 'None of 2 namespaces are the shell\'s own: it is a plain host process.'],
    [view([], null), 'No shell is running.'],
  ])('%#', (v, text) => {
    expect(inspectorSummary(v)).toBe(text);
  });
});
