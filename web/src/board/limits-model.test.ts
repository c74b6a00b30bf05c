import { describe, expect, it } from 'vitest';
import { FULL_ISOLATION, type ContainerSpec } from '../../../common/spec.js';
import { fieldsOf, limitsChange } from './limits-model.js';

const limited: ContainerSpec = { ...FULL_ISOLATION, resources: { ...FULL_ISOLATION.resources, cgroup: true, memoryBytes: 64 * 1024 * 1024, cpus: 0.5, pidsLimit: 64 } };

describe('the live limits form', () => {
  it('shows the running limits, empty for none', () => {
    expect(fieldsOf(limited)).toEqual({ memoryMiB: '64', cpus: '0.5', pids: '64' });
    expect(fieldsOf(FULL_ISOLATION)).toEqual({ memoryMiB: '', cpus: '', pids: '' });
  });

  it('asks only for what changed', () => {
    expect(limitsChange({ memoryMiB: '64', cpus: '0.5', pids: '20' }, limited)).toEqual({ ok: true, request: { pidsLimit: 20 } });
    expect(limitsChange({ memoryMiB: '128', cpus: '1', pids: '64' }, limited)).toEqual({ ok: true, request: { memoryBytes: 128 * 1024 * 1024, cpus: 1 } });
    expect(limitsChange(fieldsOf(limited), limited)).toEqual({ ok: true, request: null });
  });

  it('an emptied field removes that limit', () => {
    expect(limitsChange({ memoryMiB: '64', cpus: '', pids: '64' }, limited)).toEqual({ ok: true, request: { cpus: null } });
  });

  it('names the field that is wrong, with the server\'s own rule', () => {
    expect(limitsChange({ memoryMiB: '64', cpus: '0.5', pids: 'many' }, limited)).toEqual({ ok: false, field: 'pids', message: 'a number above 0, or empty for no limit' });
    expect(limitsChange({ memoryMiB: '2', cpus: '0.5', pids: '64' }, limited)).toMatchObject({ ok: false, field: 'memoryMiB', message: expect.stringMatching(/6 MiB/) });
    expect(limitsChange({ memoryMiB: '64', cpus: '0.5', pids: '2.5' }, limited)).toMatchObject({ ok: false, field: 'pids' });
  });
});
