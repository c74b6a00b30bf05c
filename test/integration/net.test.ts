// The network namespace wired to a bridge: veth pairs, addresses and routes inside, tbf on both
// ends; asserted from inside (busybox ip, nc, httpd, wget in the image) and from the host
// (/sys/class/net, `ip -j`, `tc -s -j`). Contract: native/README.md ("Network").
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSYBOX,
  IMAGE,
  PROBE,
  eventually,
  expectRefused,
  expectRootAndBuilt,
  join_,
  output,
  probeWith,
  run,
  start,
  tag,
  whileRunning,
} from '../helpers/launcher-run.js';

const hasOverlay = /\boverlay\n/.test(readFileSync('/proc/filesystems', 'utf8'));
const SH = ['/bin/sh', '-c'];

// Names and a subnet of this run's own: other test runs may be wiring bridges at the same time.
const RUN = tag();
const BRIDGE = `ilb${RUN}`;
const SUBNET = `10.${200 + (Number.parseInt(RUN.slice(0, 2), 16) % 50)}.${Number.parseInt(RUN.slice(2, 4), 16)}`;
const GATEWAY = `${SUBNET}.1`;
const bridged = (host: number, veth: string) => [
  '--net-bridge', BRIDGE, '--net-gateway', `${GATEWAY}/24`, '--net-address', `${SUBNET}.${host}/24`, '--net-veth', veth,
];
/** A container with the image as its root (busybox's ip, nc, httpd, wget), in every namespace but user. */
const BOX = ['--unshare', 'mount,uts,ipc,pid,net', '--hostname', 'box', '--rootfs', IMAGE];

const ours = () => readdirSync('/sys/class/net').filter((n) => n.includes(RUN));
const linkExists = (name: string) => existsSync(`/sys/class/net/${name}`);

function ipJson(args: string[]): unknown {
  const out = spawnSync('ip', ['-j', ...args], { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout);
}

interface QdiscStats {
  kind: string;
  handle: string;
  options?: { rate?: number; burst?: number };
  bytes: number;
  overlimits: number;
}
function qdisc(dev: string, netnsOf?: number): QdiscStats {
  const tc = ['tc', '-s', '-j', 'qdisc', 'show', 'dev', dev];
  const cmd = netnsOf === undefined ? tc : ['nsenter', '-t', String(netnsOf), '-n', ...tc];
  const out = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  const all = JSON.parse(out.stdout) as (QdiscStats & { root?: boolean })[];
  return all.find((q) => q.root)!;
}

/** Connects to HOST:PORT until something listens there; returns the open socket. */
function connectWhenListening(host: string, port: number) {
  return eventually(
    () =>
      new Promise<import('node:net').Socket | undefined>((resolve) => {
        const sock = connect({ host, port });
        sock.once('connect', () => resolve(sock));
        sock.once('error', () => resolve(undefined));
      }),
    `${host}:${port} listening`,
  );
}

beforeAll(() => {
  expectRootAndBuilt([PROBE, BUSYBOX]);
});

afterAll(() => {
  // The bridge is shared by design: containers come and go, it stays (native/README.md). Ours goes.
  spawnSync('ip', ['link', 'delete', BRIDGE]);
  expect(ours()).toEqual([]);
});

describe('--unshare net alone', () => {
  it('only lo, up; and nothing new on the host', async () => {
    const before = readdirSync('/sys/class/net').sort();
    const { report } = await probeWith(['--unshare', 'net']);
    expect(report.netInterfaces).toEqual(['lo']);
    const link = await output(['--unshare', 'net'], [BUSYBOX, 'ip', '-o', 'link']);
    expect(link.trim().split('\n')).toHaveLength(1);
    expect(link).toMatch(/^1: lo: <[^>]*\bUP\b/);
    expect(await output(['--unshare', 'net'], [BUSYBOX, 'ip', 'route'])).toBe('');
    expect(readdirSync('/sys/class/net').sort().filter((n) => !before.includes(n) && n.startsWith('isolab'))).toEqual([]);
  });
});

describe.skipIf(!hasOverlay)('--net-bridge (needs overlayfs for the busybox image)', () => {
  it('eth0 with its address, a default route through the gateway and nothing else; the host end on the bridge', async () => {
    const veth = `ilv${RUN}a`;
    const script = 'ip -o -4 addr show dev eth0; echo ---; ip route; echo ---; ls /sys/class/net; echo ---';
    await whileRunning([...BOX, ...bridged(2, veth)], async (pid, started) => {
      // Inside (the shell prints, then sleeps while the host looks).
      const printed = await eventually(() => (started.stdout().split('---\n').length === 4 ? started.stdout() : undefined), 'output');
      const [addr, routes, devices] = printed.split('---\n').map((s) => s.trim());
      expect(addr).toMatch(new RegExp(`eth0\\s+inet ${SUBNET.replaceAll('.', '\\.')}\\.2/24 `));
      expect(routes!.split('\n').map((l) => l.trim().split(/\s+/).slice(0, 5).join(' '))).toEqual([
        `default via ${GATEWAY} dev eth0`,
        `${SUBNET}.0/24 dev eth0 scope link`,
      ]);
      expect(devices!.split('\n')).toEqual(['eth0', 'lo']);
      // Outside: the host end is a port of the bridge, the bridge has the gateway's address.
      expect(basename(readlinkSync(`/sys/class/net/${veth}/master`))).toBe(BRIDGE);
      expect(existsSync(`/sys/class/net/${BRIDGE}/bridge`)).toBe(true);
      const [bridgeInfo] = ipJson(['addr', 'show', 'dev', BRIDGE]) as { operstate: string; addr_info: { family: string; local: string; prefixlen: number }[] }[];
      expect(bridgeInfo!.addr_info.filter((a) => a.family === 'inet')).toMatchObject([{ local: GATEWAY, prefixlen: 24 }]);
      // The other end of the pair is in the container's network namespace.
      const [link] = ipJson(['link', 'show', 'dev', veth]) as { link_netnsid?: number; flags: string[] }[];
      expect(link!.flags).toContain('UP');
      expect(link!.link_netnsid).toBeDefined();
      const inside = spawnSync('nsenter', ['-t', String(pid), '-n', 'ip', '-j', 'link', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
      const [eth0] = JSON.parse(inside.stdout) as { link_index: number; flags: string[] }[];
      expect(eth0!.link_index).toBe(Number(readFileSync(`/sys/class/net/${veth}/ifindex`, 'utf8')));
      expect(eth0!.flags).toContain('UP');
    }, [...SH, `${script}; sleep 300`]);
  });

  it('two containers on the bridge both listen on port 80 and reach each other by address', async () => {
    const serve = (name: string) => [...SH, `mkdir /www && echo "from ${name}" > /www/index.html && exec httpd -f -p 80 -h /www`];
    const a = start([...BOX, ...bridged(11, `ilv${RUN}b`)], serve('a'));
    const b = start([...BOX, ...bridged(12, `ilv${RUN}c`)], serve('b'));
    try {
      const [readyA, readyB] = await Promise.all([a.ready, b.ready]);
      // The host reaches both through the bridge once httpd listens.
      for (const host of [`${SUBNET}.11`, `${SUBNET}.12`]) (await connectWhenListening(host, 80)).destroy();
      // Each fetches the other's page from inside its own network namespace.
      const aToB = await join_(readyA.pid, [BUSYBOX, 'wget', '-q', '-O', '-', `http://${SUBNET}.12/`]);
      const bToA = await join_(readyB.pid, [BUSYBOX, 'wget', '-q', '-O', '-', `http://${SUBNET}.11/`]);
      expect(aToB).toMatchObject({ code: 0, stdout: 'from b\n' });
      expect(bToA).toMatchObject({ code: 0, stdout: 'from a\n' });
      expect(readyA.namespaces['net']).not.toBe(readyB.namespaces['net']);
    } finally {
      a.kill('SIGTERM');
      b.kill('SIGTERM');
      await Promise.all([a.done, b.done]);
    }
  });

  it('no way off the machine: the gateway answers, an address beyond it does not, ip_forward untouched', async () => {
    const forwardBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
    // The host's own default gateway: an address off this machine that the host itself can reach.
    const hostRoute = readFileSync('/proc/net/route', 'utf8').split('\n').find((l) => l.split('\t')[1] === '00000000');
    const gwHex = hostRoute?.split('\t')[2] ?? '08080808';
    const outside = [0, 2, 4, 6].map((i) => Number.parseInt(gwHex.slice(i, i + 2), 16)).reverse().join('.');
    const script = `ping -c 1 -W 2 ${GATEWAY} >/dev/null && echo gateway-ok; ping -c 1 -W 2 ${outside} >/dev/null || echo outside-unreachable`;
    expect(await output([...BOX, ...bridged(3, `ilv${RUN}d`)], [...SH, script])).toBe('gateway-ok\noutside-unreachable\n');
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(forwardBefore);
  });

  it('the host end is deleted when the container exits; the default name comes from the child PID', async () => {
    let veth = '';
    const result = await run([...BOX, ...bridged(4, `ilv${RUN}e`)], ['true']);
    expect(result.code).toBe(0);
    expect(linkExists(`ilv${RUN}e`)).toBe(false);
    // Without --net-veth: isolab<PID>.
    const args = [...BOX, '--net-bridge', BRIDGE, '--net-gateway', `${GATEWAY}/24`, '--net-address', `${SUBNET}.5/24`];
    const started = start(args, ['sleep', '300']);
    const ready = await started.ready;
    veth = `isolab${ready.pid}`;
    expect(linkExists(veth)).toBe(true);
    started.kill('SIGTERM');
    await started.done;
    expect(linkExists(veth)).toBe(false);
  });

  it('launchers starting at once on a new bridge: one bridge, one gateway address, all of them up', async () => {
    const fresh = `ilr${RUN}`;
    const subnet = `${SUBNET.split('.').slice(0, 2).join('.')}.${(Number.parseInt(RUN.slice(2, 4), 16) + 1) % 256}`;
    try {
      const runs = await Promise.all(
        [2, 3, 4, 5, 6, 7].map((n) =>
          run([...BOX, '--net-bridge', fresh, '--net-gateway', `${subnet}.1/24`, '--net-address', `${subnet}.${n}/24`, '--net-veth', `ilq${RUN}${n}`], [
            ...SH,
            `ping -c 1 -W 2 ${subnet}.1 >/dev/null && echo up`,
          ]),
        ),
      );
      for (const r of runs) expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'up\n' });
      const [info] = ipJson(['addr', 'show', 'dev', fresh]) as { addr_info: { family: string; local: string }[] }[];
      expect(info!.addr_info.filter((a) => a.family === 'inet').map((a) => a.local)).toEqual([`${subnet}.1`]);
    } finally {
      spawnSync('ip', ['link', 'delete', fresh]);
    }
  });

  it('a device of that name that is not a bridge is left alone', async () => {
    const dummy = `ild${RUN}`;
    expect(spawnSync('ip', ['link', 'add', dummy, 'type', 'veth', 'peer', 'name', `ile${RUN}`]).status).toBe(0);
    try {
      const result = await run([...BOX, '--net-bridge', dummy, '--net-gateway', `${GATEWAY}/24`, '--net-address', `${SUBNET}.6/24`], ['true']);
      expect(result.code).toBe(125);
      expect(result.status).toMatchObject([{ type: 'error', step: 'net_bridge' }]);
      expect(ipJson(['addr', 'show', 'dev', dummy])).toMatchObject([{ addr_info: [] }]);
    } finally {
      spawnSync('ip', ['link', 'delete', dummy]);
    }
  });

  describe('--net-rate: tbf on both ends', () => {
    it('without it, no qdisc shapes the veth', async () => {
      const veth = `ilv${RUN}f`;
      await whileRunning([...BOX, ...bridged(7, veth)], (pid) => {
        expect(qdisc(veth).kind).toBe('noqueue');
        expect(qdisc('eth0', pid).kind).toBe('noqueue');
      });
    });

    it('what the container receives passes the host end\'s tbf, which makes it wait', async () => {
      const veth = `ilv${RUN}g`;
      const bytes = 300_000;
      await whileRunning(
        [...BOX, ...bridged(8, veth), '--net-rate', '4mbit'],
        async (_pid, started) => {
          const before = qdisc(veth);
          expect(before).toMatchObject({ kind: 'tbf', handle: '1:', options: { rate: 500_000, burst: 50_000 } });
          const sock = await connectWhenListening(`${SUBNET}.8`, 5000);
          await new Promise<void>((resolve) => sock.end(Buffer.alloc(bytes), resolve));
          await eventually(() => (started.stdout().trim() === String(bytes) ? true : undefined), 'all bytes received', 20_000);
          const after = qdisc(veth);
          expect(after.bytes - before.bytes).toBeGreaterThan(bytes);
          // More than a burst went through: some packets had to wait for tokens.
          expect(after.overlimits).toBeGreaterThan(before.overlimits);
        },
        [...SH, 'nc -l -p 5000 | wc -c; sleep 300'],
      );
    });

    it('what the container sends passes the tbf on its eth0', async () => {
      const veth = `ilv${RUN}h`;
      const bytes = 300_000;
      let received = 0;
      const server: Server = createServer((sock) => sock.on('data', (d) => (received += d.length)));
      await new Promise<void>((r) => server.listen(0, GATEWAY, r));
      const port = (server.address() as { port: number }).port;
      try {
        await whileRunning(
          [...BOX, ...bridged(9, veth), '--net-rate', '4mbit'],
          async (pid) => {
            await eventually(() => (received >= bytes ? true : undefined), 'all bytes sent', 20_000);
            const eth0 = qdisc('eth0', pid);
            expect(eth0).toMatchObject({ kind: 'tbf', options: { rate: 500_000 } });
            expect(eth0.bytes).toBeGreaterThan(bytes);
            expect(eth0.overlimits).toBeGreaterThan(0);
          },
          [...SH, `head -c ${bytes} /dev/zero | nc ${GATEWAY} ${port}; sleep 300`],
        );
      } finally {
        server.close();
      }
    });
  });

  describe.each(['net_bridge', 'net_veth', 'net_tc', 'net_addr', 'net_route', 'net_tc_eth0'])('--fail-at %s', (step) => {
    it('fails there and leaves no veth behind', async () => {
      const veth = `ilv${RUN}x`;
      const result = await run([...BOX, ...bridged(10, veth), '--net-rate', '1mbit', '--fail-at', step], ['sleep', '300']);
      expect(result.code).toBe(125);
      expect(result.status).toMatchObject([{ type: 'error', step, errno: 22 }]);
      expect(linkExists(veth)).toBe(false);
    });
  });
});

describe('command line', () => {
  const net = ['--unshare', 'net'];
  const ok = ['--net-bridge', 'ilbx', '--net-gateway', '10.99.0.1/24', '--net-address', '10.99.0.2/24'];
  it.each([
    [ok, /--net-bridge needs the network namespace/],
    [[...net, '--net-bridge', 'ilbx'], /needs --net-gateway/],
    [[...net, '--net-bridge', 'ilbx', '--net-gateway', '10.99.0.1/24'], /needs --net-gateway ADDR\/PREFIX .* and --net-address/],
    [[...net, '--net-address', '10.99.0.2/24'], /need --net-bridge/],
    [[...net, '--net-rate', '1mbit'], /need --net-bridge/],
    [[...net, ...ok, '--net-bridge', 'a/b'], /--net-bridge: expected a device name/],
    [[...net, ...ok, '--net-bridge', 'a'.repeat(16)], /--net-bridge: expected a device name/],
    [[...net, ...ok, '--net-veth', '-x'], /--net-veth: expected a device name/],
    [[...net, ...ok, '--net-veth', 'ilbx'], /cannot have the bridge's name/],
    [[...net, ...ok, '--net-gateway', '10.99.0.1'], /--net-gateway: expected an IPv4 ADDR\/PREFIX/],
    [[...net, ...ok, '--net-gateway', '10.99.0.1/31'], /--net-gateway: expected an IPv4 ADDR\/PREFIX/],
    [[...net, ...ok, '--net-address', '10.99.1.2/24'], /must be in the gateway's subnet/],
    [[...net, ...ok, '--net-address', '10.99.0.2/16'], /same prefix length/],
    [[...net, ...ok, '--net-address', '10.99.0.1/24'], /must differ from --net-gateway/],
    [[...net, ...ok, '--net-address', '10.99.0.255/24'], /--net-address: the subnet's network and broadcast/],
    [[...net, ...ok, '--net-gateway', '10.99.0.0/24'], /--net-gateway: the subnet's network and broadcast/],
    [[...net, ...ok, '--net-address', 'fd00::2/64'], /--net-address: expected an IPv4/],
    [[...net, ...ok, '--net-rate', '1mb'], /--net-rate: expected/],
    [[...net, ...ok, '--net-rate', '999bit'], /--net-rate: expected/],
    [[...net, ...ok, '--net-rate', '33gbit'], /--net-rate: expected/],
    [[...net, ...ok, '--net-rate', '1.5mbit'], /--net-rate: expected/],
  ])('%j is refused with an error line (exit 125)', async (args, message) => {
    await expectRefused(args, message);
  });
});
