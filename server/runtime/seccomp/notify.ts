// A compiled profile rewritten so that its refusals are handed to the launcher's supervisor
// (SECCOMP_RET_USER_NOTIF) instead of failed by the kernel (SECCOMP_RET_ERRNO): the container sees
// the very same errno — the supervisor answers with the one the profile gives — and the server
// learns which system call was refused (native/README.md, --seccomp-notify). "Why did that fail?"
// runs a learner's command under such a profile.
//
// The supervisor is told only the system call, never which rule matched, so a call is handed over
// only when its errno follows from its name: `errno:N` rules → `notify`, the default `errno:D` →
// `notify`, and the answers become `--seccomp-notify D[,NAME=N...]`. A call whose rules give it
// different errnos (depending on its arguments) keeps its `errno:N` rules and is not named.
import { SECCOMP_FORMAT_HEADER } from './profile.js';

/**
 * System calls the launcher itself makes after the filter is loaded (sending the listener to the
 * supervisor, the capability and user steps, the sync pipe, execve): never handed over, or the
 * launcher would wait for an answer from a supervisor that does not have the listener yet.
 * Where the profile refuses one of them it keeps refusing it with its own errno.
 */
export const NEVER_NOTIFIED: ReadonlySet<string> = new Set([
  'sendmsg', 'close', 'write', 'writev', 'exit', 'exit_group', 'execve', 'execveat',
  'prctl', 'capget', 'capset', 'setgroups', 'setresuid', 'setresgid', 'setuid', 'setgid',
  'getuid', 'geteuid', 'getgid', 'getegid', 'getpid', 'gettid', 'clock_gettime',
  'brk', 'mmap', 'munmap', 'mprotect', 'madvise', 'futex', 'rt_sigreturn', 'rt_sigprocmask',
]);

export interface NotifyingProfile {
  /** The profile in the launcher's line format, with `notify` where it had `errno:N`. */
  text: string;
  /** The value of --seccomp-notify: the default answer, then NAME=ERRNO for the others. */
  answers: string;
  /** System calls whose refusals are handed over by name (besides everything the default refuses). */
  notified: string[];
}

interface Rule {
  line: number;
  name: string;
  action: string;
  conditional: boolean;
}

const ERRNO_ACTION = /^errno:(\d+)$/;
/** The launcher takes at most this many NAME=ERRNO answers. */
const MAX_ANSWERS = 256;

/**
 * The notifying version of a compiled profile, or null when it has nothing to hand over (no
 * errno action), or when one of the launcher's own calls could not be kept out of it: a call in
 * NEVER_NOTIFIED that only has rules with argument conditions would reach a notifying default
 * for its other arguments, and libseccomp cannot add an unconditional rule next to those.
 */
export function notifyingProfile(text: string): NotifyingProfile | null {
  const lines = text.split('\n');
  if (lines[0] !== SECCOMP_FORMAT_HEADER) throw new Error(`not a compiled profile (first line ${JSON.stringify(lines[0])})`);
  let defaultErrno: number | null = null;
  let defaultLine = -1;
  const rules: Rule[] = [];
  lines.forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === 'default') {
      defaultLine = i;
      const m = ERRNO_ACTION.exec(fields[1] ?? '');
      defaultErrno = m ? Number(m[1]) : null;
    } else if (fields[0] === 'syscall' && fields.length >= 3) {
      rules.push({ line: i, name: fields[1]!, action: fields[2]!, conditional: fields.length > 3 });
    }
  });
  if (defaultLine < 0) throw new Error('a compiled profile without a default action');

  const byName = new Map<string, Rule[]>();
  for (const r of rules) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  /** The default action can reach NAME: no rule without conditions covers all of its calls. */
  const defaultReaches = (name: string) => !(byName.get(name) ?? []).some((r) => !r.conditional);

  const extra: string[] = [];
  if (defaultErrno !== null) {
    for (const name of NEVER_NOTIFIED) {
      const own = byName.get(name) ?? [];
      if (own.length === 0) extra.push(`syscall ${name} errno:${defaultErrno}`);
      else if (defaultReaches(name)) return null;
    }
  }

  const out = [...lines];
  const answers: string[] = [];
  const notified: string[] = [];
  for (const [name, own] of byName) {
    if (NEVER_NOTIFIED.has(name)) continue;
    const errnos = new Set(own.flatMap((r) => (ERRNO_ACTION.test(r.action) ? [Number(ERRNO_ACTION.exec(r.action)![1])] : [])));
    if (errnos.size === 0) continue;
    if (defaultErrno !== null && defaultReaches(name)) errnos.add(defaultErrno);
    if (errnos.size !== 1) continue; // its errno depends on its arguments: keep the rules as they are
    const [errno] = errnos as Set<number>;
    for (const r of own) if (ERRNO_ACTION.test(r.action)) out[r.line] = out[r.line]!.replace(/\serrno:\d+(?=\s|$)/, ' notify');
    if (errno !== defaultErrno) answers.push(`${name}=${errno}`);
    notified.push(name);
  }
  if (defaultErrno === null && notified.length === 0) return null;
  if (answers.length > MAX_ANSWERS) return null;
  if (defaultErrno !== null) out[defaultLine] = 'default notify';
  const body = out.join('\n').replace(/\n*$/, '\n');
  return {
    text: body + extra.map((l) => `${l}\n`).join(''),
    // Without an errno default nothing falls to the default answer; 1 (EPERM) stands in for it.
    answers: [String(defaultErrno ?? 1), ...answers.sort()].join(','),
    notified: notified.sort(),
  };
}
