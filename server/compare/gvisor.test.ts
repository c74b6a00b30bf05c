import { describe, expect, it } from 'vitest';
import { DEFAULT_CEILINGS } from '../floor/ceilings.js';
import { GVISOR_LIMITS, gvisorLimitsUnder, ociConfig, type GvisorRuntime } from './gvisor.js';

const MiB = 1024 * 1024;
const runtime = (limits = GVISOR_LIMITS): GvisorRuntime => ({ runsc: '/usr/bin/runsc', rootfs: '/image', stateDir: '/state', bundlesDir: '/bundles', limits });

describe('a gVisor sandbox on a workshop server stays under the ceilings', () => {
  it('keeps its own limits where the ceilings are higher, and takes the ceilings where they are lower', () => {
    expect(gvisorLimitsUnder({ ...DEFAULT_CEILINGS, memoryBytes: 1024 * MiB, cpus: 2, openFiles: 65536 })).toEqual(GVISOR_LIMITS);
    expect(gvisorLimitsUnder({ ...DEFAULT_CEILINGS, memoryBytes: 64 * MiB, cpus: 0.25, openFiles: 256 })).toEqual({ memoryBytes: 64 * MiB, cpus: 0.25, openFiles: 256 });
  });

  it('writes the limits into the sandbox\'s config.json', () => {
    const config = ociConfig(runtime({ memoryBytes: 64 * MiB, cpus: 0.25, openFiles: 256 }), { args: ['/bin/sh'], terminal: true }) as {
      process: { rlimits: unknown[] };
      linux: { resources: unknown };
    };
    expect(config.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 256, soft: 256 }]);
    expect(config.linux.resources).toEqual({ memory: { limit: 64 * MiB }, cpu: { quota: 25_000, period: 100_000 } });
  });
});
