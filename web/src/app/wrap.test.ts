import { describe, expect, it } from 'vitest';
import { breakSegments } from './wrap.js';

describe('breakSegments', () => {
  it.each([
    ['CAP_SYS_ADMIN', ['CAP_', 'SYS_', 'ADMIN']],
    ['/proc/sys/kernel', ['/', 'proc/', 'sys/', 'kernel']],
    ['chown, kill, setuid', ['chown,', ' kill,', ' setuid']],
    ['--security-opt seccomp=unconfined', ['--security-', 'opt seccomp=', 'unconfined']],
    ['plain', ['plain']],
    ['-1', ['-1']],
    ['a/', ['a/']],
    ['', []],
  ])('%j → %j', (text, segments) => {
    expect(breakSegments(text)).toEqual(segments);
    expect(breakSegments(text).join('')).toBe(text);
  });
});
