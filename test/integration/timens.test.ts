// The time namespace: CLOCK_BOOTTIME (/proc/uptime) and CLOCK_MONOTONIC shifted for the container,
// the wall clock not. Asserted inside (/proc/uptime, /proc/self/timens_offsets, a monotonic reading)
// and outside (/proc/PID/ns/time). Contract: native/README.md ("Time namespace").
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectRefused, hostInode, output, start } from '../helpers/launcher-run.js';

const hasTimens = existsSync('/proc/self/ns/time');
/** Seconds a launch and a process start may take between our reading and the container's. */
const SLACK = 30;

const hostUptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
/** CLOCK_MONOTONIC in seconds, as node reads it (process.hrtime). */
const hostMonotonic = () => Number(process.hrtime.bigint() / 1_000_000n) / 1000;
const MONOTONIC_INSIDE = [process.execPath, '-e', 'console.log(Number(process.hrtime.bigint() / 1000000n) / 1000)'];

describe.skipIf(!hasTimens)('time namespace (needs CONFIG_TIME_NS)', () => {
  it('boottime offset: /proc/uptime inside is the host\'s plus the offset', async () => {
    const before = hostUptime();
    const inside = Number((await output(['--unshare', 'time', '--time-offset-boottime', '86400'], ['cat', '/proc/uptime'])).split(' ')[0]);
    const after = hostUptime();
    // /proc/uptime has hundredths; their sum in floating point may land a hair above (15217.54 +
    // 86400 is 101601.54000000001), so the lower bound is compared in hundredths.
    expect(Math.round(inside * 100)).toBeGreaterThanOrEqual(Math.round((before + 86400) * 100));
    expect(inside).toBeLessThanOrEqual(after + 86400 + SLACK);
  });

  it('monotonic offset: CLOCK_MONOTONIC inside is the host\'s plus the offset; boottime untouched', async () => {
    const args = ['--unshare', 'time', '--time-offset-monotonic', '1000000'];
    const before = hostMonotonic();
    const inside = Number(await output(args, MONOTONIC_INSIDE));
    const after = hostMonotonic();
    expect(inside).toBeGreaterThanOrEqual(before + 1_000_000);
    expect(inside).toBeLessThanOrEqual(after + 1_000_000 + SLACK);
    const uptime = Number((await output(args, ['cat', '/proc/uptime'])).split(' ')[0]);
    expect(Math.abs(uptime - hostUptime())).toBeLessThan(SLACK);
  });

  it('a negative offset moves the clock back', async () => {
    const inside = Number((await output(['--unshare', 'time', '--time-offset-boottime', '-5'], ['cat', '/proc/uptime'])).split(' ')[0]);
    expect(inside).toBeLessThan(hostUptime() - 5 + SLACK);
    expect(inside).toBeLessThan(hostUptime());
  });

  it('/proc/self/timens_offsets inside lists both offsets', async () => {
    const offsets = await output(
      ['--unshare', 'time', '--time-offset-monotonic', '-3', '--time-offset-boottime', '7200'],
      ['cat', '/proc/self/timens_offsets'],
    );
    expect(offsets.trim().split('\n').map((l) => l.trim().split(/\s+/))).toEqual([
      ['monotonic', '-3', '0'],
      ['boottime', '7200', '0'],
    ]);
  });

  it('the container has its own time namespace (outside: /proc/PID/ns/time), the one ready reported; the wall clock is shared', async () => {
    const started = start(['--unshare', 'time', '--time-offset-boottime', '1000'], ['sleep', '300']);
    try {
      const ready = await started.ready;
      const theirs = statSync(`/proc/${ready.pid}/ns/time`).ino;
      expect(theirs).not.toBe(hostInode('time'));
      expect(ready.namespaces['time']).toBe(theirs);
      expect(ready.namespaces['time_for_children']).toBe(theirs);
    } finally {
      started.kill('SIGTERM');
      await started.done;
    }
    const wall = Number(await output(['--unshare', 'time', '--time-offset-boottime', '1000', '--time-offset-monotonic', '1000'], ['date', '+%s']));
    expect(Math.abs(wall - Date.now() / 1000)).toBeLessThan(SLACK);
  });

  it("without --unshare time: the host's time namespace and clocks", async () => {
    const started = start([], ['sleep', '300']);
    try {
      expect(statSync(`/proc/${(await started.ready).pid}/ns/time`).ino).toBe(hostInode('time'));
    } finally {
      started.kill('SIGTERM');
      await started.done;
    }
    expect(Math.abs(Number((await output([], ['cat', '/proc/uptime'])).split(' ')[0]) - hostUptime())).toBeLessThan(SLACK);
  });

  it('with the other namespaces too (PID 1 of its own, the clock shifted)', async () => {
    const out = await output(['--unshare', 'mount,uts,ipc,pid,net,user,time', '--time-offset-boottime', '86400'], ['/bin/sh', '-c', 'echo $$; cat /proc/uptime']);
    const [pid, uptime] = out.trim().split('\n');
    expect(pid).toBe('1');
    expect(Number(uptime!.split(' ')[0])).toBeGreaterThan(86400);
  });
});

describe('command line', () => {
  it.each([
    [['--time-offset-boottime', '5'], /need the time namespace/],
    [['--time-offset-monotonic', '5'], /need the time namespace/],
    [['--unshare', 'time', '--time-offset-boottime', '1.5'], /whole seconds/],
    [['--unshare', 'time', '--time-offset-boottime', '1h'], /whole seconds/],
    [['--unshare', 'time', '--time-offset-boottime', ''], /whole seconds/],
    [['--unshare', 'time', '--time-offset-monotonic', '4611686019'], /whole seconds between/],
    [['--unshare', 'time', '--time-offset-monotonic', '-4000000000'], /would start below zero/],
  ])('%j is refused with an error line (exit 125)', async (args, message) => {
    await expectRefused(args, message);
  });
});
