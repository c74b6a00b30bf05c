import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMountinfo } from './mountinfo.js';

describe('parseMountinfo', () => {
  it('reads every field, with the optional fields and escapes', () => {
    const line = '300 218 0:149 /sub /mnt/from\\040host ro,relatime shared:3 master:7 - overlay my\\040src ro,lowerdir=/a\\,b:/c,upperdir=/u';
    expect(parseMountinfo(`${line}\n`)).toEqual([
      {
        id: 300,
        parent: 218,
        majorMinor: '0:149',
        root: '/sub',
        target: '/mnt/from host',
        options: ['ro', 'relatime'],
        optional: ['shared:3', 'master:7'],
        fstype: 'overlay',
        source: 'my src',
        superOptions: ['ro', 'lowerdir=/a\\,b:/c', 'upperdir=/u'],
      },
    ]);
  });

  it('skips blank and malformed lines rather than guessing', () => {
    expect(parseMountinfo('\n  \n1 2 3 4 5 6 no-dash here\n1 2 0:1 / / rw - ext4\n')).toEqual([]);
  });

  it('reads this process\'s own table, in order', () => {
    const mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    expect(mounts.some((m) => m.target === '/proc' && m.fstype === 'proc')).toBe(true);
    expect(mounts.every((m) => Number.isInteger(m.id) && Number.isInteger(m.parent))).toBe(true);
  });
});
