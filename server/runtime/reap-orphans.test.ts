import { describe, expect, it } from 'vitest';
import { describeReap, type ReapReport } from './reap-orphans.js';

const report = (r: Partial<ReapReport>): ReapReport => ({ instances: 0, launchers: 0, cgroups: 0, containerEntries: 0, ipcObjects: 0, leases: 0, problems: [], ...r });

describe('describeReap', () => {
  it('says nothing when nothing was left', () => {
    expect(describeReap(report({}))).toBeNull();
  });

  it('names what was reaped, and whose', () => {
    expect(describeReap(report({ instances: 1, cgroups: 2, containerEntries: 1 }))).toBe(
      'reaped what 1 stopped server left: 0 launchers, 2 cgroups, 1 entry of the containers directory, 0 IPC objects, 0 leases (uid ranges, bridge addresses)',
    );
    expect(describeReap(report({ cgroups: 1 }))).toMatch(/^reaped what stopped servers left: 0 launchers, 1 cgroup,/);
    expect(describeReap(report({ leases: 1 }))).toMatch(/1 lease \(uid ranges, bridge addresses\)$/);
  });
});
