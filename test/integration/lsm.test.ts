// AppArmor and SELinux (--apparmor, --selinux-label) and `isolab-launcher --lsm-status`: what the
// launcher reports must be what the system says (securityfs, lsm_list_modules, /sys/module,
// selinuxfs), and asking for a module that is not there must fail with that reason, never silently.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lsmStatus, output, refused } from '../helpers/harden.js';

const status = lsmStatus();
const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
};
const securityfsList = read('/sys/kernel/security/lsm');

describe('--lsm-status', () => {
  it('lists the active LSMs as the kernel does', () => {
    if (securityfsList !== null) {
      expect(status.activeFrom).toBe('/sys/kernel/security/lsm');
      expect(status.active).toEqual(securityfsList.split(','));
    } else {
      // No securityfs mounted (as here): Linux 6.8+ answers lsm_list_modules(2) instead.
      expect(status.activeFrom).toBe('lsm_list_modules(2)');
      expect(status.active).toContain('capability'); // always the first LSM the kernel registers
    }
    expect(new Set(status.active).size).toBe(status.active!.length);
  });

  it('says AppArmor is available exactly when it is active and enabled, else why not', () => {
    const enabled = read('/sys/module/apparmor/parameters/enabled');
    const expected = status.active!.includes('apparmor') && enabled === 'Y';
    expect(status.apparmor.available).toBe(expected);
    if (!expected) {
      expect(status.apparmor.reason).toBeTruthy();
      if (!status.active!.includes('apparmor')) {
        expect(status.apparmor.reason).toContain(`it is not among the kernel's active LSMs (${status.active!.join(',')}, from ${status.activeFrom})`);
      }
      if (!existsSync('/sys/module/apparmor')) {
        expect(status.apparmor.reason).toContain('/sys/module/apparmor does not exist: the kernel was built without AppArmor');
      }
    }
  });

  it('says SELinux is available exactly when it is active and selinuxfs is mounted, else why not', () => {
    const enforce = read('/sys/fs/selinux/enforce');
    const expected = status.active!.includes('selinux') && enforce !== null;
    expect(status.selinux.available).toBe(expected);
    if (expected) {
      expect(status.selinux.mode).toBe(enforce === '1' ? 'enforcing' : 'permissive');
    } else {
      if (!status.active!.includes('selinux')) {
        expect(status.selinux.reason).toContain(`it is not among the kernel's active LSMs (${status.active!.join(',')}, from ${status.activeFrom})`);
      }
      if (enforce === null) expect(status.selinux.reason).toContain('/sys/fs/selinux/enforce does not exist: selinuxfs is not mounted');
    }
  });

  it('reports Landlock and its ABI consistently with the active list', () => {
    expect(status.landlock.available).toBe(status.active!.includes('landlock'));
    if (status.landlock.available) expect(status.landlock.abi).toBeGreaterThanOrEqual(1);
  });
});

describe('asking for an LSM this host does not have fails up front, with the reason', () => {
  it.skipIf(status.apparmor.available)(`--apparmor (skipped: AppArmor is active on this host)`, async () => {
    expect(await refused(['--apparmor', 'docker-default'])).toBe(
      `--apparmor: AppArmor is not available on this host because ${status.apparmor.reason}`,
    );
  });

  it.skipIf(status.selinux.available)(`--selinux-label (skipped: SELinux is active on this host)`, async () => {
    expect(await refused(['--selinux-label', 'system_u:system_r:container_t:s0'])).toBe(
      `--selinux-label: SELinux is not available on this host because ${status.selinux.reason}`,
    );
  });
});

describe.skipIf(!status.apparmor.available)('AppArmor (needs AppArmor active)', () => {
  it('--apparmor unconfined: PROGRAM runs under that profile', async () => {
    const current = await output(['--apparmor', 'unconfined'], ['cat', '/proc/self/attr/current']);
    expect(current.replace(/\0/g, '').trim()).toMatch(/^unconfined/);
  });
});

describe.skipIf(!status.selinux.available)('SELinux (needs SELinux active)', () => {
  it('--selinux-label with our own label: PROGRAM runs with it', async () => {
    const label = read('/proc/self/attr/current')!.replace(/\0/g, '');
    const current = await output(['--selinux-label', label], ['cat', '/proc/self/attr/current']);
    expect(current.replace(/\0/g, '').trim()).toBe(label);
  });
});

describe('refused up front', () => {
  it.each([
    [['--apparmor', 'two words'], '--apparmor: expected a profile name (1-255 printable characters, no spaces)'],
    [['--apparmor', ''], '--apparmor: expected a profile name (1-255 printable characters, no spaces)'],
    [['--selinux-label', 'bad\nlabel'], '--selinux-label: expected a label such as system_u:system_r:container_t:s0'],
  ])('%j', async (args, message) => {
    expect(await refused(args)).toBe(message);
  });
});
