import { describe, expect, it } from 'vitest';
import { ContainerSpec, DOCKER_RUN_DEFAULT, FULL_ISOLATION, PLAIN_PROCESS, TEACHING_LIMITS, TOGGLE_GROUPS, TOGGLE_IDS, applyToggle, describeChanges, describeToggle, isToggleOn } from './spec.js';

describe('ContainerSpec', () => {
  it('accepts the presets', () => {
    expect(ContainerSpec.parse(PLAIN_PROCESS)).toEqual(PLAIN_PROCESS);
    expect(ContainerSpec.parse(FULL_ISOLATION)).toEqual(FULL_ISOLATION);
  });

  it('rejects an own root filesystem without the mount namespace, naming the field', () => {
    const bad = { ...PLAIN_PROCESS, rootfs: true };
    const res = ContainerSpec.safeParse(bad);
    expect(res.success).toBe(false);
    expect(res.error!.issues[0]!.path).toEqual(['rootfs']);
    expect(res.error!.issues[0]!.message).toMatch(/mount namespace/);
  });

  it.each(['-leading', 'trailing-', 'has space', 'a'.repeat(64), '', 'semi;colon', 'ünï'])('rejects hostname %j', (hostname) => {
    expect(ContainerSpec.safeParse({ ...FULL_ISOLATION, hostname }).success).toBe(false);
  });

  it('rejects unknown fields instead of ignoring them', () => {
    expect(ContainerSpec.safeParse({ ...FULL_ISOLATION, privileged: true }).success).toBe(false);
    expect(ContainerSpec.safeParse({ ...FULL_ISOLATION, namespaces: { ...FULL_ISOLATION.namespaces, users: true } }).success).toBe(false);
  });
});

describe('applyToggle', () => {
  it.each(TOGGLE_IDS)('switches %s on and off again', (id) => {
    const on = applyToggle(PLAIN_PROCESS, id, true).spec;
    expect(isToggleOn(on, id)).toBe(true);
    expect(ContainerSpec.safeParse(on).success).toBe(true);
    const off = applyToggle(on, id, false).spec;
    expect(isToggleOn(off, id)).toBe(false);
    expect(ContainerSpec.safeParse(off).success).toBe(true);
  });

  it('turning rootfs on brings the mount namespace with it, and says so', () => {
    const { spec, changes } = applyToggle(PLAIN_PROCESS, 'rootfs', true);
    expect(spec.namespaces.mount).toBe(true);
    expect(changes).toEqual(['Mount namespace on', 'Own root filesystem on']);
  });

  it('turning mount off takes the root filesystem with it', () => {
    const { spec, changes } = applyToggle(FULL_ISOLATION, 'mount', false);
    expect(spec.rootfs).toBe(false);
    expect(changes).toEqual(['Mount namespace off', 'Own root filesystem off']);
  });

  it('does not mutate its input', () => {
    const before = structuredClone(PLAIN_PROCESS);
    applyToggle(PLAIN_PROCESS, 'uts', true);
    expect(PLAIN_PROCESS).toEqual(before);
  });
});

describe('describeChanges', () => {
  it('is empty for equal settings and names the hostname change', () => {
    expect(describeChanges(FULL_ISOLATION, FULL_ISOLATION)).toEqual([]);
    expect(describeChanges(FULL_ISOLATION, { ...FULL_ISOLATION, hostname: 'box' })).toEqual(['hostname box']);
  });

  it('names capabilities by what the shell keeps, not by the switch\'s default', () => {
    expect(describeChanges(FULL_ISOLATION, { ...FULL_ISOLATION, capabilities: ['NET_BIND_SERVICE'] })).toEqual(['Capabilities: only NET_BIND_SERVICE on']);
    expect(describeChanges(FULL_ISOLATION, applyToggle(FULL_ISOLATION, 'caps', true).spec)).toEqual(["Docker's 14 capabilities on"]);
  });
});

describe('describeToggle', () => {
  const withCaps = (capabilities: ContainerSpec['capabilities']): ContainerSpec => ({ ...FULL_ISOLATION, capabilities });

  it.each([
    ['docker\'s 14', withCaps(DOCKER_RUN_DEFAULT.capabilities), "Docker's 14 capabilities", 'drop CAP_SYS_ADMIN and 26 others'],
    ['all (switch off)', withCaps('all'), "Docker's 14 capabilities", 'drop CAP_SYS_ADMIN and 26 others'],
    ['one', withCaps(['NET_BIND_SERVICE']), 'Capabilities: only NET_BIND_SERVICE', 'root keeps only these; the other 40 are dropped'],
    ['none', withCaps([]), 'Capabilities: none', 'root keeps none of the 41'],
    ['five', withCaps(['CHOWN', 'KILL', 'SETUID', 'SETGID', 'MKNOD']), 'Capabilities: 5 chosen', 'root keeps these; the other 36 are dropped'],
  ])('capabilities: %s', (_name, spec, label, summary) => {
    expect(describeToggle(spec, 'caps')).toEqual({ label, summary });
  });

  it('says the learner\'s own seccomp profile is not docker\'s', () => {
    expect(describeToggle({ ...FULL_ISOLATION, seccomp: 'custom' }, 'seccomp').label).toBe('seccomp (your profile)');
    expect(describeToggle({ ...FULL_ISOLATION, seccomp: 'docker-default' }, 'seccomp').label).toBe('seccomp (docker default)');
  });

  it('gives the limits and paths the shell has, or that turning the switch on would give', () => {
    expect(describeToggle(PLAIN_PROCESS, 'limits').summary).toBe("own cgroup: memory 256 MiB, 0.5 CPU, 64 processes; docker's devices");
    const lessonLimits: ContainerSpec = { ...FULL_ISOLATION, resources: { ...FULL_ISOLATION.resources, cgroup: true, memoryBytes: 64 * 1024 * 1024, pidsLimit: 64, cpus: 0.5 } };
    expect(describeToggle(lessonLimits, 'limits').summary).toBe("own cgroup: memory 64 MiB, 0.5 CPU, 64 processes; docker's devices");
    expect(describeToggle(PLAIN_PROCESS, 'landlock').summary).toBe('writes allowed only under /tmp, /dev; reads under /');
    expect(describeToggle(FULL_ISOLATION, 'readonly').summary).toBe('/ mounted read-only; /tmp a 64 MiB tmpfs');
    expect(describeToggle({ ...FULL_ISOLATION, hostname: 'box' }, 'uts').summary).toBe('own hostname, named box at the start');
  });

});

describe('toggles keep every setting valid', () => {
  it('turns on what a switch needs, and off what needs a switch', () => {
    const ro = applyToggle(PLAIN_PROCESS, 'readonly', true).spec;
    expect([ro.namespaces.mount, ro.rootfs, ro.filesystem.readOnly]).toEqual([true, true, true]);
    expect(ro.filesystem.tmpfs).toEqual([{ path: '/tmp', sizeBytes: 64 * 1024 * 1024 }]);
    const noMount = applyToggle(ro, 'mount', false);
    expect([noMount.spec.rootfs, noMount.spec.filesystem.readOnly, noMount.spec.filesystem.tmpfs]).toEqual([false, false, []]);
    expect(noMount.changes).toEqual(['Mount namespace off', 'Own root filesystem off', 'Read-only root off']);
    const bridged = applyToggle(PLAIN_PROCESS, 'bridge', true).spec;
    expect(bridged.namespaces.net).toBe(true);
    expect(applyToggle(bridged, 'net', false).spec.network.mode).toBe('loopback');
  });

  it.each([
    ['plain process', PLAIN_PROCESS],
    ['docker run', DOCKER_RUN_DEFAULT],
  ] as const)('from a %s, every switch either way gives valid settings', (_name, start) => {
    for (const a of TOGGLE_IDS) {
      for (const on of [true, false]) {
        const once = applyToggle(start, a, on).spec;
        expect(ContainerSpec.safeParse(once).success, `${a} ${on}`).toBe(true);
        expect(isToggleOn(once, a), `${a} ${on}`).toBe(on);
        for (const b of TOGGLE_IDS) expect(ContainerSpec.safeParse(applyToggle(once, b, !isToggleOn(once, b)).spec).success, `${a} ${on} then ${b}`).toBe(true);
      }
    }
  });

  it('gives the limits switch teaching values, and keeps a lesson\'s own', () => {
    expect(applyToggle(PLAIN_PROCESS, 'limits', true).spec.resources).toMatchObject(TEACHING_LIMITS);
    const own = { ...PLAIN_PROCESS, resources: { ...PLAIN_PROCESS.resources, pidsLimit: 10 } };
    expect(applyToggle(own, 'limits', true).spec.resources).toMatchObject({ cgroup: true, pidsLimit: 10, memoryBytes: null });
  });

  it('names the field and the reason when settings do not hold together', () => {
    const issues = (spec: unknown) => ContainerSpec.safeParse(spec).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ ...PLAIN_PROCESS, filesystem: { ...PLAIN_PROCESS.filesystem, readOnly: true } })).toEqual([
      "filesystem.readOnly: a read-only root needs an own root filesystem: isolab never remounts the host's / read-only",
    ]);
    expect(issues({ ...PLAIN_PROCESS, network: { mode: 'bridge', rate: null } })).toEqual([
      "network.mode: a bridge network needs the network namespace (the veth's far end goes into it)",
    ]);
    expect(issues({ ...PLAIN_PROCESS, capabilities: ['SYS_ADMIN', 'WIZARDRY'] })?.[0]).toMatch(/^capabilities\.1: /);
    expect(issues({ ...PLAIN_PROCESS, resources: { ...PLAIN_PROCESS.resources, memoryBytes: 1024 } })).toEqual(["resources.memoryBytes: at least 6 MiB (docker's floor): less cannot even start a shell"]);
    expect(issues({ ...PLAIN_PROCESS, resources: { ...PLAIN_PROCESS.resources, deviceRules: ['c 1:3 rwx'] } })?.[0]).toMatch(/deviceRules\.0: a rule like "c 1:3 rwm"/);
  });
});

describe('TOGGLE_GROUPS', () => {
  it('places every switch in exactly one section', () => {
    const placed = TOGGLE_GROUPS.flatMap((g) => g.ids);
    expect([...placed].sort()).toEqual([...TOGGLE_IDS].sort());
  });
});
