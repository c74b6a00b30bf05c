import { describe, expect, it } from 'vitest';
import { LimitsRequest } from '../../common/protocol.js';
import { FULL_ISOLATION } from '../../common/spec.js';
import { DEFAULT_CEILINGS, type Ceilings } from '../floor/ceilings.js';
import { raiseToFloor } from '../floor/floor.js';
import type { Shell } from './launch.js';
import { changeLimitsLive } from './live-limits.js';

const MiB = 1024 * 1024;
const C: Ceilings = { ...DEFAULT_CEILINGS, memoryBytes: 256 * MiB, swapBytes: 0, pids: 128, cpus: 0.5 };
const floored = raiseToFloor(FULL_ISOLATION, C);

describe('sandbox:limits (live) on a workshop server: refused above a ceiling, in the session', () => {
  const shell = { pid: 1234, ctx: { rootfsDir: '/nonexistent', cgroupName: 'isolab-test' } } as unknown as Shell;
  // A launcher that does not exist: a request that got past the ceilings fails there, as launch_failed.
  const live = (change: unknown, ceilings: Ceilings | null = C) =>
    changeLimitsLive({ paths: { launcher: '/nonexistent/launcher' }, spec: floored, change: LimitsRequest.parse(change), ceilings, accountsSwap: true, shell: () => shell, admit: () => {} });

  it.each([
    [{ memoryBytes: 2 ** 50 }, 'memoryBytes', 'this workshop server caps memory at 256 MiB'],
    [{ pidsLimit: 1_000_000 }, 'pidsLimit', 'this workshop server caps processes at 128'],
    [{ cpus: 1 }, 'cpus', 'this workshop server caps CPU time at 0.5 CPU'],
    [{ memorySwapBytes: 512 * MiB }, 'memorySwapBytes', 'this workshop server caps memory+swap at 256 MiB (no swap)'],
    [{ memorySwapBytes: -1 }, null, null],
    [{ cpuShares: 2048 }, 'cpuShares', 'this workshop server caps CPU weight at 1024 shares (the default)'],
  ] as const)('%j', async (change, field, message) => {
    if (field === null) {
      // Unlimited swap is taken as the ceiling (no swap), not refused.
      await expect(live(change)).rejects.toMatchObject({ code: 'launch_failed' });
      return;
    }
    await expect(live(change)).rejects.toMatchObject({ code: 'forbidden', message, issues: [{ path: [field], message }] });
  });

  it('takes pidsLimit: null as the ceiling rather than no limit', async () => {
    await expect(live({ pidsLimit: null })).rejects.toMatchObject({ code: 'launch_failed' });
  });

  it('leaves a solo server\'s requests to the launcher', async () => {
    await expect(live({ pidsLimit: 1_000_000 }, null)).rejects.toMatchObject({ code: 'launch_failed' });
  });
});
