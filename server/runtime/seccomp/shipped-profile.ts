// What the seccomp editor starts from when the learner has no profile of their own: the profile
// isolab ships (Docker's default, profiles/seccomp/docker-default.json), read and checked once.
import { readFile } from 'node:fs/promises';
import type { SeccompProfileView } from '../../../common/protocol.js';
import { SeccompProfile } from '../../../common/seccomp-profile.js';
import { describeZodError } from '../../../common/protocol.js';

/**
 * A starting point when no profile is shipped (or it cannot be read): allow everything except the
 * syscalls that build containers, so a learner sees `unshare: Operation not permitted` at once.
 */
export const TEMPLATE_PROFILE: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ALLOW',
  syscalls: [
    {
      names: ['unshare', 'setns', 'mount', 'umount2', 'pivot_root'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 1,
      comment: 'EPERM: no new namespaces or mounts from inside',
    },
  ],
};

export class ShippedSeccompProfile {
  private loaded: Promise<SeccompProfileView> | undefined;

  /** @param file profiles/seccomp/docker-default.json (paths.dockerSeccompProfile) */
  constructor(private readonly file: string) {}

  get(): Promise<SeccompProfileView> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<SeccompProfileView> {
    const file = this.file;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return { profile: TEMPLATE_PROFILE, source: 'template' };
    }
    try {
      const parsed = SeccompProfile.safeParse(JSON.parse(text));
      if (parsed.success) return { profile: parsed.data, source: 'docker-default' };
      console.error(`[isolab] ${file} is not a valid seccomp profile: ${describeZodError(parsed.error)}`);
    } catch (err) {
      console.error(`[isolab] ${file} is not JSON: ${(err as Error).message}`);
    }
    return { profile: TEMPLATE_PROFILE, source: 'template' };
  }
}
