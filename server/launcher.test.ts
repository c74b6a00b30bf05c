import { describe, expect, it } from 'vitest';
import { FULL_ISOLATION, PLAIN_PROCESS } from '../common/spec.js';
import { StatusLine, launcherArgs, shellCommand, shellEnv } from './launcher.js';

describe('launcherArgs', () => {
  it('is empty for a plain process', () => {
    expect(launcherArgs(PLAIN_PROCESS, '/r')).toEqual([]);
  });
  it('names every namespace, the hostname and the rootfs', () => {
    expect(launcherArgs(FULL_ISOLATION, '/r')).toEqual(['--unshare', 'mount,uts,ipc,pid,net', '--hostname', 'isolab', '--rootfs', '/r']);
  });
  it('sets the hostname only with a UTS namespace (otherwise it would rename the host)', () => {
    const spec = { ...PLAIN_PROCESS, namespaces: { ...PLAIN_PROCESS.namespaces, pid: true } };
    expect(launcherArgs(spec, '/r')).toEqual(['--unshare', 'pid']);
  });
});

describe('shell', () => {
  it('uses the image shell with an own rootfs and bash on the host', () => {
    expect(shellCommand(FULL_ISOLATION)[0]).toBe('/bin/sh');
    expect(shellCommand(PLAIN_PROCESS)[0]).toBe('/bin/bash');
  });
  it('passes an explicit environment, nothing from the server', () => {
    expect(Object.keys(shellEnv()).sort()).toEqual(['HOME', 'ISOLAB', 'LANG', 'PATH', 'PS1', 'TERM']);
  });
});

describe('StatusLine', () => {
  it('parses the three line types and rejects others', () => {
    expect(StatusLine.parse({ type: 'ready', pid: 5, namespaces: { uts: 1 }, timings_us: { total: 9 } }).type).toBe('ready');
    expect(StatusLine.parse({ type: 'error', step: 'clone', errno: 1, message: 'x' }).type).toBe('error');
    expect(StatusLine.parse({ type: 'exit', code: 0 }).type).toBe('exit');
    expect(StatusLine.safeParse({ type: 'ready', pid: -1, namespaces: {}, timings_us: {} }).success).toBe(false);
    expect(StatusLine.safeParse({ type: 'surprise' }).success).toBe(false);
  });
});
