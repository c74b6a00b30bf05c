import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ownIdentity, startTimeOf, stillRunning } from './process-identity.js';

describe('process identity', () => {
  it('knows this process, and not one that ended or one that merely got its PID', () => {
    const me = ownIdentity();
    expect(me.startTime).toBeGreaterThan(0);
    expect(stillRunning(me)).toBe(true);
    expect(stillRunning({ ...me, startTime: me.startTime + 1 })).toBe(false);
    const ended = spawnSync('/bin/true').pid!;
    expect(startTimeOf(ended)).toBeNull();
  });
});
