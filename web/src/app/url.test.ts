import { describe, expect, it } from 'vitest';
import { demoFromSearch, lessonHash, lessonIdFromHash, presentingFromSearch, takeToken, withPresenting } from './url.js';

describe('lessonIdFromHash', () => {
  it.each([
    ['#/lesson/01-uts-namespace', '01-uts-namespace'],
    ['#/lesson/03-pid-namespace/', '03-pid-namespace'],
    ['#/lesson/1-bad', undefined],
    ['#/lesson/01-UPPER', undefined],
    ['#/lesson/', undefined],
    ['#terminal', undefined],
    ['', undefined],
    ['#/lesson/%E0%A4%A', undefined],
  ])('%s → %s', (hash, id) => {
    expect(lessonIdFromHash(hash)).toBe(id);
  });

  it('round-trips with lessonHash', () => {
    expect(lessonIdFromHash(lessonHash('02-mount-namespace'))).toBe('02-mount-namespace');
  });
});

describe('takeToken', () => {
  it('takes the token and keeps the rest of the address, hash included', () => {
    expect(takeToken('http://127.0.0.1:7681/?token=abc&x=1#/lesson/01-uts-namespace')).toEqual({
      token: 'abc',
      cleanUrl: '/?x=1#/lesson/01-uts-namespace',
    });
  });

  it('leaves an address without a token alone', () => {
    expect(takeToken('http://localhost/#/lesson/01-uts-namespace')).toEqual({ token: null, cleanUrl: null });
  });

  it('removes an empty token parameter', () => {
    expect(takeToken('http://localhost/?token=')).toEqual({ token: null, cleanUrl: '/' });
  });
});

describe('presenter mode in the address', () => {
  it('is on with ?present, with or without a value', () => {
    expect(presentingFromSearch('?present')).toBe(true);
    expect(presentingFromSearch('?x=1&present=1')).toBe(true);
    expect(presentingFromSearch('')).toBe(false);
    expect(presentingFromSearch('?presenter')).toBe(false);
  });

  it('is added and removed, keeping the rest of the address', () => {
    expect(withPresenting('http://h/#/lesson/01-uts-namespace', true)).toBe('/?present#/lesson/01-uts-namespace');
    expect(withPresenting('http://h/?x=1#/lesson/a', true)).toBe('/?x=1&present#/lesson/a');
    expect(withPresenting('http://h/?present&x=1#a', false)).toBe('/?x=1#a');
    expect(withPresenting('http://h/?present', false)).toBe('/');
  });
});

describe('demoFromSearch', () => {
  it('reads ?demo=ID, and only a well-formed id', () => {
    expect(demoFromSearch('?present&demo=containers-are-processes')).toBe('containers-are-processes');
    expect(demoFromSearch('?present')).toBeUndefined();
    expect(demoFromSearch('?demo=../etc')).toBeUndefined();
    expect(demoFromSearch('?demo=')).toBeUndefined();
  });
});
