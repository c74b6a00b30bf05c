import { describe, expect, it } from 'vitest';
import { FULL_ISOLATION, PLAIN_PROCESS } from '../../common/spec.js';
import { COMPARE_CONTAINER_SPEC, describeContainer, parseAnswers } from './places.js';
import { qemuArgs, type VmImage } from './vm.js';

const image: VmImage = { qemu: '/usr/bin/qemu-system-x86_64', kernel: '/k/vmlinux', initramfs: '/k/initramfs.cpio', kernelRelease: '6.1.0', kernelPackage: 'linux-image-6.1.0 6.1.0-1', maxShells: 8, pvh: true };

describe('the QEMU command line', () => {
  it('boots microvm without firmware detours, without a network device, with one virtio console per learner', () => {
    const args = qemuArgs(image, { accel: 'tcg', shells: 3, socketDir: '/run/x' });
    expect(args.slice(0, 2)).toEqual(['-M', 'microvm']);
    expect(args).toContain('-nodefaults');
    expect(args.join(' ')).not.toMatch(/-netdev|-nic|-bios/);
    expect(args.filter((a) => a.startsWith('virtconsole,'))).toHaveLength(3);
    expect(args[args.indexOf('-kernel') + 1]).toBe('/k/vmlinux');
    const cmdline = args[args.indexOf('-append') + 1]!;
    // TCG needs the TSC hints (no HPET on microvm); KVM does not get them.
    expect(cmdline).toMatch(/tsc_early_khz=\d+ lpj=\d+/);
    expect(qemuArgs(image, { accel: 'kvm', shells: 0, socketDir: '/run/x' }).join(' ')).not.toMatch(/tsc_early_khz|virtio-serial/);
    expect(cmdline).toContain('isolab.shells=3');
  });
});

describe('the container column', () => {
  it('describes isolation from the settings', () => {
    expect(describeContainer(PLAIN_PROCESS).isolation).toMatch(/plain process/);
    expect(describeContainer(FULL_ISOLATION).isolation).toMatch(/^5 namespaces \+ own rootfs on the host's kernel$/);
    expect(describeContainer(COMPARE_CONTAINER_SPEC).isolation).toMatch(/seccomp/);
  });

  it('parses the probe and the sysview from one stream and names the one that failed', () => {
    expect(() => parseAnswers('no marker')).toThrow(/no sysview output/);
    expect(() => parseAnswers('{}\x1eSEP\nnot json')).toThrow(/sysview printed no JSON/);
  });
});

describe('missing pieces say exactly what to install', () => {
  it('names the QEMU package, the setup step for the guest kernel, and the runsc package', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadVmImage } = await import('./vm.js');
    const { loadGvisor } = await import('./gvisor.js');
    const dir = mkdtempSync(join(tmpdir(), 'isolab-cmp-'));
    const noQemu = loadVmImage({ vmDir: dir }, join(dir, 'no-qemu'));
    expect(noQemu).toMatchObject({ ok: false });
    expect(!noQemu.ok && noQemu.message).toMatch(/apt-get install qemu-system-x86/);
    writeFileSync(join(dir, 'UNAVAILABLE'), 'the guest kernel could not be prepared: apt-get download failed: no network\n');
    const noKernel = loadVmImage({ vmDir: dir }, process.execPath);
    expect(!noKernel.ok && noKernel.message).toMatch(/no network[\s\S]*npm run setup/);
    const noRunsc = loadGvisor({ rootfs: dir, compareRun: dir }, join(dir, 'no-runsc'));
    expect(!noRunsc.ok && noRunsc.message).toMatch(/apt-get install runsc/);
  });
});
