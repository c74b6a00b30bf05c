import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ERRNO, errnoName } from './errno.js';

describe('ERRNO', () => {
  it.each(Object.entries(ERRNO))('%s is %d, as the kernel (through Node) numbers it', (name, n) => {
    expect((constants.errno as Record<string, number>)[name]).toBe(n);
  });

  it('names a number, and says so when it has no name for it', () => {
    expect(errnoName(1)).toBe('EPERM');
    expect(errnoName(38)).toBe('ENOSYS');
    expect(errnoName(9999)).toBe('errno 9999');
  });
});
