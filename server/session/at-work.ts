// The running container's settings as the commands people use at work: a `docker run` line and an
// OCI config.json (for runc/crun), computed on the server because the OCI seccomp section and the
// block device need this machine's facts. The page shows both, refreshed as toggles change.
import { readFileSync } from 'node:fs';
import { machine, release } from 'node:os';
import { ociConfigJson, toDockerRun, toOciConfig } from '../../common/export.js';
import type { ExportView } from '../../common/protocol.js';
import type { SeccompProfile } from '../../common/seccomp-profile.js';
import type { ContainerSpec } from '../../common/spec.js';
import { dockerHostFacts, imageDisk } from '../runtime/block-device.js';
import { ownCapabilities } from '../runtime/host-capabilities.js';
import { shellCommand } from '../runtime/launcher.js';
import type { LabPaths } from '../base/paths.js';
import { parseSeccompProfileJson } from '../runtime/seccomp/profile.js';

export class AtWork {
  private dockerProfile: SeccompProfile | undefined;
  private readonly device: string | null;

  constructor(private readonly paths: LabPaths) {
    this.device = imageDisk(paths.rootfs);
  }

  for(spec: ContainerSpec, customProfile?: SeccompProfile): ExportView {
    const docker = toDockerRun(spec, {
      interactive: true,
      ...dockerHostFacts(this.device),
      ...(spec.seccomp === 'custom' ? { seccompProfilePath: 'my-profile.json' } : {}),
    });
    const profile =
      spec.seccomp === 'custom' ? customProfile : spec.seccomp === 'docker-default' ? (this.dockerProfile ??= parseSeccompProfileJson(readFileSync(this.paths.dockerSeccompProfile, 'utf8'))) : undefined;
    const oci = toOciConfig(spec, {
      args: shellCommand(spec),
      terminal: true,
      ...(this.device ? { rootfsDevice: this.device } : {}),
      ...(profile ? { seccompProfile: profile } : {}),
      machine: machine(),
      kernelRelease: release(),
      allCapabilities: ownCapabilities(),
    });
    return {
      docker: { commandLine: docker.commandLine, lines: docker.lines, unsupported: docker.unsupported },
      oci: { json: ociConfigJson(oci.config), unsupported: oci.unsupported },
    };
  }
}
