import { describe, expect, it } from 'vitest';
import { capSet, sampleProbeReport } from '../../../common/probe-sample.js';
import { CAP_NAMES } from '../../../common/probe.js';
import type { PartialProbeReport, ProbeReport } from '../../../common/probe.js';
import type { InspectorView } from '../../../common/protocol.js';
import { formatBytes } from '../../../common/spec.js';
import { formatCaps, formatIdMap, inspectorGroups, inspectorSummary, reportCells, type InspectorLine, abbreviateIds } from './inspector-model.js';

const HOST = sampleProbeReport();

/** The shell as the launcher makes it with the given changes over the host's view. */
const shell = (over: Partial<ProbeReport> = {}) => sampleProbeReport({ pid: 1, ...over });

const view = (container: PartialProbeReport | null, host: PartialProbeReport | null = HOST, containerPid: number | null = 42): InspectorView => ({
  containerPid,
  container,
  host,
  hostIs: 'host',
  error: null,
  takenAt: '2025-01-01T00:00:00.000Z',
});

function line(v: InspectorView, key: string, previous: InspectorView | null = null): InspectorLine {
  const found = inspectorGroups(v, previous).flatMap((g) => g.lines).find((l) => l.key === key);
  if (!found) throw new Error(`no row ${key}`);
  return found;
}

const ownUts = shell({ namespaces: { ...HOST.namespaces, uts: 4026532281 }, hostname: 'box' });

describe('inspectorGroups', () => {
  it('groups the rows in the lesson order, with every namespace first', () => {
    const groups = inspectorGroups(view(ownUts), null);
    expect(groups.map((g) => g.id)).toEqual(['namespaces', 'identity', 'caps', 'seccomp', 'cgroup', 'mounts', 'paths', 'devices', 'rlimits', 'lsm', 'network', 'kernel']);
    expect(groups[0]!.lines.map((l) => l.key)).toEqual(['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']);
  });

  it('marks a namespace of its own with a symbol and words, not only colour', () => {
    expect(line(view(ownUts), 'uts')).toMatchObject({ container: '4026532281', host: '4026531838', differs: true, symbol: '≠' });
    expect(line(view(ownUts), 'uts').meaning).toMatch(/own/);
    expect(line(view(ownUts), 'net')).toMatchObject({ differs: false, symbol: '=' });
    expect(line(view(ownUts), 'net').meaning).toMatch(/same/);
    expect(line(view(ownUts), 'uts.hostname')).toMatchObject({ container: 'box', host: 'lab-host', differs: true });
  });

  it('shows what the primitives change: capabilities, no_new_privs, seccomp, cgroup limits, mounts, masked paths', () => {
    const dockerish = shell({
      caps: { ...HOST.caps!, effective: capSet(['CAP_CHOWN', 'CAP_KILL']), permitted: capSet(['CAP_CHOWN', 'CAP_KILL']), bounding: capSet(['CAP_CHOWN', 'CAP_KILL']) },
      noNewPrivs: true,
      seccomp: { mode: 2, filters: 1 },
      cgroup: { ...HOST.cgroup, memory: { ...HOST.cgroup.memory!, max: 64 * 1024 * 1024 }, pids: { ...HOST.cgroup.pids!, max: 32 } },
      rootfs: { fstype: 'overlay', source: 'overlay', readOnly: true, overlay: { lower: ['/image'], upper: '/tmp/upper', work: '/tmp/work' } },
      paths: { ...HOST.paths, masked: [{ path: '/proc/kcore', state: 'masked', how: 'devnull' }] },
    });
    const v = view(dockerish);
    expect(line(v, 'caps.effective')).toMatchObject({ container: 'chown, kill', host: 'all 41', differs: true });
    expect(line(v, 'caps.effective').detail).toContain('0000000000000021');
    expect(line(v, 'caps.ambient')).toMatchObject({ container: 'none', differs: false });
    expect(line(v, 'nnp')).toMatchObject({ container: 'yes', host: 'no', differs: true });
    expect(line(v, 'seccomp.mode')).toMatchObject({ container: 'filter', host: 'off' });
    expect(line(v, 'cgroup.memory.max')).toMatchObject({ container: '64 MiB', host: 'unlimited', differs: true });
    expect(line(v, 'cgroup.pids.max')).toMatchObject({ container: '32', host: 'unlimited' });
    expect(line(v, 'rootfs')).toMatchObject({ container: 'overlay (overlay)', host: 'ext4 (/dev/sda1)' });
    expect(line(v, 'rootfs.readOnly')).toMatchObject({ container: 'yes', host: 'no' });
    expect(line(v, 'rootfs.layers')).toMatchObject({ container: 'lower /image · upper /tmp/upper', host: '—', symbol: '?' });
    expect(line(v, 'masked:/proc/kcore')).toMatchObject({ container: 'masked (devnull)', host: 'visible', differs: true });
  });

  it('does not compare what differs by nature (a PID, a usage figure), nor flag it as changed', () => {
    expect(line(view(ownUts), 'id.pid')).toMatchObject({ container: '1', host: '5000', differs: false, symbol: '·' });
    expect(line(view(shell({ pid: 7 })), 'id.pid', view(ownUts))).toMatchObject({ container: '7', changed: false });
  });

  it('lists the namespaces a process is in, not those its children would get', () => {
    const withChildren = shell({ namespaces: { ...HOST.namespaces, pid_for_children: 4026531836, time_for_children: 4026531834 } });
    expect(inspectorGroups(view(withChildren), null)[0]!.lines.map((l) => l.key)).not.toContain('pid_for_children');
  });

  it('flags the rows that changed since the previous view, and says what they were', () => {
    const before = view(shell());
    const after = view(ownUts);
    expect(line(after, 'uts', before)).toMatchObject({ changed: true, before: '4026531838' });
    expect(line(after, 'uts.hostname', before)).toMatchObject({ changed: true, before: 'lab-host' });
    expect(line(after, 'net', before)).toMatchObject({ changed: false, before: null });
    // A namespace row changes with its verdict, not with the inode every new shell gets.
    const newerUts = view(shell({ namespaces: { ...HOST.namespaces, uts: 4026532999 }, hostname: 'box' }));
    expect(line(newerUts, 'uts', after)).toMatchObject({ changed: false });
    // Nothing is "changed" in the first view.
    expect(inspectorGroups(after, null).flatMap((g) => g.lines).some((l) => l.changed)).toBe(false);
    expect(inspectorGroups(after, before).find((g) => g.id === 'namespaces')).toMatchObject({ differing: 1, changed: 1 });
  });

  it('shows a dash and an unknown marker where a report lacks a fact', () => {
    const v = view(null, HOST, null);
    expect(line(v, 'pid')).toMatchObject({ container: '—', symbol: '?', differs: false });
    const partial: PartialProbeReport = { probe: 2, sections: ['ns'], subject: null, namespaces: HOST.namespaces };
    expect(line(view(partial), 'caps.effective')).toMatchObject({ container: '—', host: 'all 41', symbol: '?' });
  });
});

describe('reportCells', () => {
  it('turns limits into words and sizes', () => {
    const cells = reportCells(shell({ rlimits: { ...HOST.rlimits, nofile: { soft: 64, hard: 64 }, cpu: { soft: null, hard: null } } }));
    expect(cells.get('rlimit.nofile')?.value).toBe('64 / 64');
    expect(cells.get('rlimit.cpu')?.value).toBe('unlimited / unlimited');
    expect(cells.get('cgroup.cpu.quota')?.value).toBe('unlimited');
    const capped = reportCells(shell({ cgroup: { ...HOST.cgroup, cpu: { ...HOST.cgroup.cpu!, quotaUs: 50000, periodUs: 100000 } } }));
    expect(capped.get('cgroup.cpu.quota')?.value).toBe('50 ms per 100 ms (0.5 CPU)');
  });

  it('says why cgroup limits cannot be read inside a container', () => {
    const cells = reportCells(
      shell({ cgroup: { ...HOST.cgroup, mounted: false, reason: 'no cgroup filesystem is mounted here (/sys/fs/cgroup)', memory: null, pids: null, cpu: null, cpuset: null, io: null } }),
    );
    expect(cells.get('cgroup.readable')?.value).toMatch(/no cgroup filesystem is mounted/);
    expect(cells.get('cgroup.memory.max')?.value).toBeNull();
  });

  it('gives no cells for sections the report does not have', () => {
    expect(reportCells({ probe: 2, sections: ['ns'], subject: null, namespaces: { uts: 1 } }).size).toBe(1);
    expect(reportCells(null).size).toBe(0);
  });
});

describe('formatting', () => {
  it.each([
    [null, 'unlimited'],
    [512, '512 B'],
    [64 * 1024 * 1024, '64 MiB'],
    [1536 * 1024, '1.5 MiB'],
  ])('formatBytes(%s) = %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it('names capabilities without their prefix, says "all", "all but" and "none", and counts long lists', () => {
    expect(formatCaps(capSet(['CAP_NET_RAW', 'CAP_SYS_ADMIN']), 40, CAP_NAMES)).toBe('net_raw, sys_admin');
    expect(formatCaps(capSet([]), 40, CAP_NAMES)).toBe('none');
    expect(formatCaps(HOST.caps!.effective, 40, CAP_NAMES)).toBe('all 41');
    expect(formatCaps(capSet(CAP_NAMES.filter((n) => n !== 'CAP_SYS_RESOURCE')), 40, CAP_NAMES)).toBe('all but sys_resource');
    expect(formatCaps(capSet(CAP_NAMES.slice(0, 14)), 40, CAP_NAMES)).toBe('14 of 41');
  });

  it('reads uid maps', () => {
    expect(formatIdMap([{ inside: 0, outside: 0, count: 4294967295 }])).toBe('identity (all IDs)');
    expect(formatIdMap([{ inside: 0, outside: 100000, count: 65536 }])).toBe('0→100000 ×65536');
    expect(formatIdMap([])).toBe('none (unmapped)');
    expect(formatIdMap(null)).toBeNull();
  });
});

describe('inspectorSummary', () => {
  it.each([
    [view(ownUts), "1 of 8 namespaces are the shell's own; 1 other row differs from the host."],
    [view(shell()), "None of 8 namespaces are the shell's own, and nothing else differs: it is a plain host process."],
    [view(null, HOST, null), 'No shell is running.'],
    [{ ...view(null), error: 'shell: probe failed' }, 'The shell could not be inspected: shell: probe failed'],
  ])('%#', (v, text) => {
    expect(inspectorSummary(v)).toBe(text);
  });
});

describe('abbreviateIds', () => {
  it('shortens long hex ids as docker does, and leaves numbers and words alone', () => {
    expect(abbreviateIds('/process_api/a57036929dd6383e4d8ef525ab30bef2')).toBe('/process_api/a5703692…');
    expect(abbreviateIds('4026531835')).toBe('4026531835');
    expect(abbreviateIds('000001ffffffffff')).toBe('000001ffffffffff');
    expect(abbreviateIds('unlimited')).toBe('unlimited');
  });
});
