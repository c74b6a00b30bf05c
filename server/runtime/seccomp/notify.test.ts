import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../base/paths.js';
import { NEVER_NOTIFIED, notifyingProfile } from './notify.js';
import { compileSeccompProfile, parseSeccompProfileJson } from './profile.js';

const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const profile = (...lines: string[]) => ['isolab-seccomp 1', ...lines, ''].join('\n');
const body = (text: string) => text.trim().split('\n').slice(1);
/** The lines the rewrite adds to keep the launcher's own calls out of the supervisor's hands. */
const keptOut = (errno: number) => [...NEVER_NOTIFIED].map((n) => `syscall ${n} errno:${errno}`);

describe('notifyingProfile', () => {
  it("hands Docker's default refusals over, keeping clone3's ENOSYS as an answer", () => {
    const docker = parseSeccompProfileJson(readFileSync(join(REPO_ROOT, 'profiles/seccomp/docker-default.json'), 'utf8'));
    const text = compileSeccompProfile(docker, { arch: 'amd64', capabilities: DOCKER_CAPS, kernelRelease: '6.18.0' })!;
    const result = notifyingProfile(text)!;
    expect(result.answers).toBe('1,clone3=38');
    expect(result.notified).toEqual(['clone3']);
    expect(result.text).toContain('\ndefault notify\n');
    expect(result.text).toContain('\nsyscall clone3 notify\n');
    expect(result.text).not.toMatch(/errno:/); // Docker allows every call the launcher needs
    // Nothing else moved: the allow rules and their conditions are as they were.
    expect(result.text.split('\n').filter((l) => l.includes(' allow'))).toEqual(text.split('\n').filter((l) => l.includes(' allow')));
  });

  it('answers each named call with its own errno, the rest with the default', () => {
    const result = notifyingProfile(profile('default errno:1', 'syscall keyctl errno:38', 'syscall mount errno:13', 'syscall read allow', ...NEVER_NOTIFIED_ALLOWED))!;
    expect(body(result.text)).toEqual(['default notify', 'syscall keyctl notify', 'syscall mount notify', 'syscall read allow', ...NEVER_NOTIFIED_ALLOWED]);
    expect(result.answers).toBe('1,keyctl=38,mount=13');
  });

  it('keeps a call out when its errno depends on its arguments', () => {
    // personality: errno 22 for one argument, the default EPERM for the others.
    const result = notifyingProfile(profile('default errno:1', 'syscall personality errno:22 0:eq:8', 'syscall personality allow 0:eq:0', ...NEVER_NOTIFIED_ALLOWED))!;
    expect(body(result.text)).toContain('syscall personality errno:22 0:eq:8');
    expect(result.answers).toBe('1');
    expect(result.notified).toEqual([]);
  });

  it('hands over a conditional refusal when the default gives the same errno', () => {
    const result = notifyingProfile(profile('default errno:1', 'syscall socket errno:1 0:eq:40', 'syscall socket allow 0:eq:1', ...NEVER_NOTIFIED_ALLOWED))!;
    expect(body(result.text)).toContain('syscall socket notify 0:eq:40');
    expect(result.answers).toBe('1');
  });

  it("keeps the launcher's own calls out: an explicit errno rule where the default would have refused them", () => {
    const result = notifyingProfile(profile('default errno:1', 'syscall read allow'))!;
    expect(body(result.text)).toEqual(['default notify', 'syscall read allow', ...keptOut(1)]);
  });

  it("leaves the launcher's own calls' rules alone", () => {
    const result = notifyingProfile(profile('default errno:1', 'syscall sendmsg errno:13', ...NEVER_NOTIFIED_ALLOWED.filter((l) => !l.includes(' sendmsg '))))!;
    expect(body(result.text)).toContain('syscall sendmsg errno:13');
    expect(result.answers).toBe('1');
  });

  it('gives up when one of those calls only has conditional rules (the default would reach it)', () => {
    expect(notifyingProfile(profile('default errno:1', 'syscall prctl allow 0:eq:1'))).toBeNull();
  });

  it('works with an allowing default: only the explicit refusals are handed over', () => {
    const result = notifyingProfile(profile('default allow', 'syscall swapon errno:1', 'syscall keyctl errno:38'))!;
    expect(body(result.text)).toEqual(['default allow', 'syscall swapon notify', 'syscall keyctl notify']);
    expect(result.answers).toBe('1,keyctl=38,swapon=1');
  });

  it('returns null when nothing is refused with an errno', () => {
    expect(notifyingProfile(profile('default allow', 'syscall reboot kill_process'))).toBeNull();
    expect(notifyingProfile(profile('default kill_process', 'syscall read allow'))).toBeNull();
  });

  it('refuses what is not a compiled profile', () => {
    expect(() => notifyingProfile('{"defaultAction":"SCMP_ACT_ALLOW"}')).toThrow(/not a compiled profile/);
    expect(() => notifyingProfile('isolab-seccomp 1\nsyscall read allow\n')).toThrow(/without a default/);
  });
});

/** Rules that allow every call the launcher makes after loading the filter. */
const NEVER_NOTIFIED_ALLOWED = [...NEVER_NOTIFIED].map((n) => `syscall ${n} allow`);
