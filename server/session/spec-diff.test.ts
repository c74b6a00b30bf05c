import { describe, expect, it } from 'vitest';
import { DOCKER_RUN_DEFAULT, PLAIN_PROCESS, applySpecChange } from '../../common/spec.js';
import { describeOtherChanges } from './spec-diff.js';

describe('describeOtherChanges', () => {
  it('is empty for equal settings', () => {
    expect(describeOtherChanges(DOCKER_RUN_DEFAULT, structuredClone(DOCKER_RUN_DEFAULT))).toEqual([]);
  });

  it('names each changed leaf by its path, lists whole', () => {
    const after = applySpecChange(DOCKER_RUN_DEFAULT, {
      network: { mode: 'bridge', rate: '1mbit' },
      filesystem: { ...DOCKER_RUN_DEFAULT.filesystem, tmpfs: [{ path: '/tmp', sizeBytes: 4096 }] },
    });
    expect(describeOtherChanges(DOCKER_RUN_DEFAULT, after)).toEqual(['filesystem.tmpfs [{"path":"/tmp","sizeBytes":4096}]', 'network.rate "1mbit"']);
  });

  it('keeps the banner short', () => {
    const after = applySpecChange(PLAIN_PROCESS, {
      userns: { hostId: 200000 },
      timeOffsetSeconds: 5,
      rlimits: { nofile: { soft: 10, hard: 20 } },
      landlock: { enabled: false, readOnly: ['/usr'], readWrite: ['/tmp'] },
      apparmor: 'a-very-long-profile-name-that-goes-on-and-on-and-on',
    });
    const lines = describeOtherChanges(PLAIN_PROCESS, after);
    expect(lines).toHaveLength(5);
    expect(lines.at(-1)).toBe('2 more settings');
    expect(lines.every((l) => l.length < 80)).toBe(true);
  });
});
