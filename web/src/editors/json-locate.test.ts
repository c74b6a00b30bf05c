import { describe, expect, it } from 'vitest';
import { locateJsonPath } from './json-locate.js';

const text = JSON.stringify(
  { hostname: 'bad_name', namespaces: { uts: true, pid: 'yes' }, capabilities: ['CHOWN', 'NOPE'], user: null, 'we\\"ird': 1, resources: { memoryBytes: 1.5e3 } },
  null,
  2,
);
const at = (path: (string | number)[]) => {
  const r = locateJsonPath(text, path);
  return r ? text.slice(r.start, r.end) : null;
};

describe('locateJsonPath', () => {
  it('underlines a scalar value itself', () => {
    expect(at(['hostname'])).toBe('"bad_name"');
    expect(at(['namespaces', 'pid'])).toBe('"yes"');
    expect(at(['capabilities', 1])).toBe('"NOPE"');
    expect(at(['user'])).toBe('null');
    expect(at(['resources', 'memoryBytes'])).toBe('1500');
    expect(at(['we\\"ird'])).toBe('1');
  });

  it('underlines an object or array member by its key', () => {
    expect(at(['namespaces'])).toBe('"namespaces"');
    expect(at(['capabilities'])).toBe('"capabilities"');
  });

  it('points at the parent when the field is missing (a required field, an index past the end)', () => {
    expect(at(['namespaces', 'time'])).toBe('"namespaces"');
    expect(at(['capabilities', 5])).toBe('"capabilities"');
    expect(at(['hostname', 'deeper'])).toBe('"bad_name"');
  });

  it('the root itself: the first character', () => {
    expect(at([])).toBe('{');
  });

  it('null for text that is not JSON', () => {
    expect(locateJsonPath('{"a": 1,}', ['a'])).toBeNull();
    expect(locateJsonPath('{"a": 1} x', ['a'])).toBeNull();
    expect(locateJsonPath('', [])).toBeNull();
  });

  it('finds keys in compact JSON with escapes', () => {
    const compact = '{"a\\u0062":{"c":[1,{"d":"x\\"y"}]}}';
    const r = locateJsonPath(compact, ['ab', 'c', 1, 'd'])!;
    expect(compact.slice(r.start, r.end)).toBe('"x\\"y"');
  });
});
