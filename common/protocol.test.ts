import { describe, expect, it } from 'vitest';
import {
  DiagnoseRequest,
  LessonOpenRequest,
  MAX_DIAGNOSE_COMMAND_BYTES,
  MAX_FIELD_ISSUES,
  MAX_INPUT_BYTES,
  PredictionRequest,
  SandboxApplyRequest,
  SeccompApplyRequest,
  SessionStartRequest,
  TermAck,
  TermInput,
  TermSize,
  ToggleRequest,
  describeZodError,
  fieldIssues,
} from './protocol.js';
import { MAX_SECCOMP_PROFILE_BYTES } from './seccomp-profile.js';
import { DOCKER_RUN_DEFAULT, PLAIN_PROCESS } from './spec.js';

describe('protocol payloads', () => {
  it.each([
    [{ cols: 80, rows: 24 }, true],
    [{ cols: 1, rows: 24 }, false],
    [{ cols: 80, rows: 0 }, false],
    [{ cols: 501, rows: 24 }, false],
    [{ cols: 80.5, rows: 24 }, false],
    [{ cols: '80', rows: 24 }, false],
    [{ cols: 80, rows: 24, extra: 1 }, false],
    [null, false],
  ])('TermSize %j → %s', (payload, ok) => {
    expect(TermSize.safeParse(payload).success).toBe(ok);
  });

  it('caps input at 64 KiB', () => {
    expect(TermInput.safeParse('x'.repeat(MAX_INPUT_BYTES)).success).toBe(true);
    expect(TermInput.safeParse('x'.repeat(MAX_INPUT_BYTES + 1)).success).toBe(false);
    expect(TermInput.safeParse(42).success).toBe(false);
  });

  it('accepts only known toggles and real booleans', () => {
    expect(ToggleRequest.safeParse({ toggle: 'uts', on: true }).success).toBe(true);
    expect(ToggleRequest.safeParse({ toggle: 'privileged', on: true }).success).toBe(false);
    expect(ToggleRequest.safeParse({ toggle: 'uts', on: 'yes' }).success).toBe(false);
  });

  it('rejects lesson ids that could walk the file system', () => {
    expect(LessonOpenRequest.safeParse({ lessonId: '01-uts-namespace' }).success).toBe(true);
    expect(LessonOpenRequest.safeParse({ lessonId: '../../etc/passwd' }).success).toBe(false);
    expect(SessionStartRequest.safeParse({ cols: 80, rows: 24, lessonId: '01-x/..' }).success).toBe(false);
  });

  it('acks must be positive integers', () => {
    expect(TermAck.safeParse({ bytes: 16384 }).success).toBe(true);
    expect(TermAck.safeParse({ bytes: -1 }).success).toBe(false);
    expect(TermAck.safeParse({ bytes: Infinity }).success).toBe(false);
  });

  it('describes an error by field', () => {
    const res = TermSize.safeParse({ cols: 9999, rows: 24 });
    expect(describeZodError(res.error!)).toMatch(/^cols: /);
  });

  it('takes one command line of at most 1 KiB for a diagnosis', () => {
    const ok = (command: unknown) => DiagnoseRequest.safeParse({ command }).success;
    expect(ok('mount -t tmpfs none /mnt')).toBe(true);
    expect(ok('echo "tab\there"')).toBe(true);
    expect(ok('x'.repeat(MAX_DIAGNOSE_COMMAND_BYTES))).toBe(true);
    expect(ok('x'.repeat(MAX_DIAGNOSE_COMMAND_BYTES + 1))).toBe(false);
    // Bytes, not characters: 342 three-byte characters are 1026 bytes.
    expect(ok('€'.repeat(341))).toBe(true);
    expect(ok('€'.repeat(342))).toBe(false);
    expect(ok('   ')).toBe(false);
    expect(ok('true\nreboot')).toBe(false);
    expect(ok('a\u0000b')).toBe(false);
    expect(ok('\u001b[A')).toBe(false);
    expect(ok(42)).toBe(false);
    expect(DiagnoseRequest.safeParse({ command: 'true', spec: {} }).success).toBe(false);
  });
});

describe('session:start learner id', () => {
  it.each([
    ['3b241101-e2bb-4255-8caf-4136c566a962', true],
    ['3B241101-E2BB-4255-8CAF-4136C566A962', false],
    ['3b241101-e2bb-1255-8caf-4136c566a962', false],
    ['../../etc/passwd', false],
    ["x' OR 1=1 --", false],
    ['', false],
    [42, false],
  ])('%j → %s', (learnerId, ok) => {
    expect(SessionStartRequest.safeParse({ cols: 80, rows: 24, learnerId }).success).toBe(ok);
  });
  it('is optional', () => {
    expect(SessionStartRequest.safeParse({ cols: 80, rows: 24 }).success).toBe(true);
  });
});

describe('sandbox:apply', () => {
  it('takes a whole, valid spec and nothing else', () => {
    expect(SandboxApplyRequest.safeParse({ spec: DOCKER_RUN_DEFAULT }).success).toBe(true);
    expect(SandboxApplyRequest.safeParse({ spec: DOCKER_RUN_DEFAULT, force: true }).success).toBe(false);
    expect(SandboxApplyRequest.safeParse(DOCKER_RUN_DEFAULT).success).toBe(false);
    expect(SandboxApplyRequest.safeParse({ spec: { hostname: 'x' } }).success).toBe(false);
    expect(SandboxApplyRequest.safeParse({ spec: null }).success).toBe(false);
    expect(SandboxApplyRequest.safeParse('{"spec":{}}').success).toBe(false);
  });

  it('names each bad field with its path (for markers in the editor)', () => {
    const res = SandboxApplyRequest.safeParse({ spec: { ...PLAIN_PROCESS, hostname: 'no_underscores', rootfs: true, privileged: true } });
    expect(res.success).toBe(false);
    const paths = fieldIssues(res.error!).map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['spec.hostname', 'spec.privileged']));
    const unknown = fieldIssues(res.error!).find((i) => i.path.join('.') === 'spec.privileged');
    expect(unknown?.message).toBe('unknown field "privileged"');
  });

  it('cross-field rules come back on the field they concern', () => {
    const res = SandboxApplyRequest.safeParse({ spec: { ...PLAIN_PROCESS, rootfs: true } });
    expect(fieldIssues(res.error!)).toEqual([{ path: ['spec', 'rootfs'], message: expect.stringMatching(/mount namespace/) }]);
  });

  it('caps the issues it reports', () => {
    const res = SandboxApplyRequest.safeParse({ spec: { ...PLAIN_PROCESS, capabilities: Array.from({ length: 100 }, (_, i) => `NOPE${i}`) } });
    expect(fieldIssues(res.error!)).toHaveLength(MAX_FIELD_ISSUES);
  });
});

describe('seccomp:apply', () => {
  const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] };
  it('takes a Docker-format profile', () => {
    expect(SeccompApplyRequest.safeParse({ profile }).success).toBe(true);
    expect(SeccompApplyRequest.safeParse({ profile: JSON.stringify(profile) }).success).toBe(false);
    expect(SeccompApplyRequest.safeParse({}).success).toBe(false);
  });
  it('refuses a profile over the size limit before looking inside', () => {
    const names = Array.from({ length: 30_000 }, (_, i) => `syscall_${i}`);
    const big = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, action: 'SCMP_ACT_ERRNO' }] };
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_SECCOMP_PROFILE_BYTES);
    const res = SeccompApplyRequest.safeParse({ profile: big });
    expect(fieldIssues(res.error!)).toEqual([{ path: ['profile'], message: expect.stringMatching(/at most 256 KiB/) }]);
  });
  it('names the bad field inside the profile', () => {
    const res = SeccompApplyRequest.safeParse({ profile: { ...profile, syscalls: [{ names: ['mount'], action: 'SCMP_ACT_BLOCK' }] } });
    expect(fieldIssues(res.error!).map((i) => i.path.join('.'))).toEqual(['profile.syscalls.0.action']);
  });
});

describe('progress:predict', () => {
  it('takes a lesson id and a prediction slug', () => {
    expect(PredictionRequest.safeParse({ lessonId: '00-just-a-process', predictionId: 'first-look' }).success).toBe(true);
    expect(PredictionRequest.safeParse({ lessonId: '00-just-a-process', predictionId: 'First Look' }).success).toBe(false);
    expect(PredictionRequest.safeParse({ lessonId: '../x', predictionId: 'a' }).success).toBe(false);
    expect(PredictionRequest.safeParse({ lessonId: '00-just-a-process', predictionId: 'a', answer: 2 }).success).toBe(false);
  });
});
