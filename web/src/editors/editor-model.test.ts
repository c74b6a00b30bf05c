import { describe, expect, it } from 'vitest';
import { formatIssuePath, parseJsonForApply, relativeIssues } from './editor-model.js';

describe('the editors\' model', () => {
  it('formats paths like the server\'s messages', () => {
    expect(formatIssuePath(['resources', 'memoryBytes'])).toBe('resources.memoryBytes');
    expect(formatIssuePath(['syscalls', 3, 'action'])).toBe('syscalls[3].action');
    expect(formatIssuePath([])).toBe('(the whole document)');
  });

  it('strips the request\'s wrapper from issue paths', () => {
    expect(relativeIssues([{ path: ['spec', 'hostname'], message: 'm' }, { path: ['spec'], message: 'root' }, { path: ['other'], message: 'x' }], 'spec')).toEqual([
      { path: ['hostname'], message: 'm' },
      { path: [], message: 'root' },
      { path: ['other'], message: 'x' },
    ]);
  });

  it.each([
    ['', /empty/],
    ['   \n', /empty/],
    ['{"a":1,}', /not valid JSON/],
    ['// comment\n{}', /not valid JSON/],
    ['[1,2]', /JSON object/],
    ['null', /JSON object/],
    ['"text"', /JSON object/],
  ])('refuses %j before sending', (text, message) => {
    const r = parseJsonForApply(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('passes an object through', () => {
    expect(parseJsonForApply('{ "hostname": "box" }\n')).toEqual({ ok: true, value: { hostname: 'box' } });
  });
});
