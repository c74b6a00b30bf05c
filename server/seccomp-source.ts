// Where a container's seccomp filter comes from, for the launcher and for the exporters: the
// Docker-format profile behind spec.seccomp ("docker-default": isolab's own profile; "custom":
// the file given with --security-opt seccomp=FILE), and that profile compiled into the file the
// launcher's `--seccomp FILE` reads.
//
// HOOK: both are waiting for server/seccomp/profile.ts (a zod schema for Docker's format and a
// compiler to the launcher's format, being written alongside the launcher's seccomp module) and
// for isolab's own default profile. Until they land, a spec with a filter is answered with
// SECCOMP_PENDING instead of a file; the callers (`isolab run`, `isolab export --format oci`, the
// runc comparison test) report it as such. Wire them here, and nowhere else.
import type { DockerSeccompProfile } from '../common/export.js';
import type { ContainerSpec } from '../common/spec.js';

/** The profile `isolab run --security-opt seccomp=FILE` read (docker-flags.ts RunRequest). */
export interface CustomProfile {
  path: string;
  profile: DockerSeccompProfile;
}

export interface Pending {
  pending: string;
}
export const SECCOMP_PENDING =
  'seccomp filters are not wired into this build yet (server/seccomp compiles Docker-format profiles for the launcher); use --security-opt seccomp=unconfined';

const pending = (what: string): Pending => ({ pending: `${what}: ${SECCOMP_PENDING}` });

/** The Docker-format profile behind the spec's filter; null for "unconfined". */
export function dockerFormatProfile(spec: ContainerSpec, custom: CustomProfile | null): DockerSeccompProfile | null | Pending {
  switch (spec.seccomp) {
    case 'unconfined':
      return null;
    case 'custom':
      if (!custom) throw new Error('dockerFormatProfile: seccomp "custom" without its profile');
      return custom.profile;
    case 'docker-default':
      return pending("isolab's default profile");
  }
}

/** The launcher's `--seccomp FILE` for the spec, and how to remove it once the launcher has read it. */
export interface SeccompFile {
  path: string;
  dispose(): void;
}

export function launcherSeccompFile(spec: ContainerSpec, custom: CustomProfile | null): SeccompFile | null | Pending {
  if (spec.seccomp === 'unconfined') return null;
  return pending(`the launcher's seccomp file for ${custom ? custom.path : spec.seccomp}`);
}

export function isPending(value: unknown): value is Pending {
  return typeof value === 'object' && value !== null && 'pending' in value;
}
