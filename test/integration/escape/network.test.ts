// The escape suite, host network and sockets: a workshop learner with every switch at its weakest
// tries the host's loopback services, the lab's own port, the host's abstract unix sockets and
// other learners' containers. Asserted from the host: its listeners accept nothing.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStaticHelper, namespaceOf, runInside, shellPid, weakestLearner } from '../../helpers/escape.js';
import { BUSYBOX } from '../../helpers/launcher-run.js';
import type { LabClient } from '../../helpers/lab.js';
import { useLab } from '../../helpers/use-lab.js';

/** A host listener that counts who reached it. */
async function listen(where: { host: string; port: number } | { path: string }): Promise<{ server: Server; accepted: () => number; port: number }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => ('path' in where ? server.listen(where.path, resolve) : server.listen(where.port, where.host, resolve)));
  const address = server.address();
  return { server, accepted: () => accepted, port: typeof address === 'object' && address ? address.port : 0 };
}

/** busybox nc's verdict on reaching HOST:PORT from the shell: "open" when it connected. */
async function reach(client: LabClient, host: string, port: number): Promise<string> {
  return (await client.run(`nc -w 1 ${host} ${port} </dev/null 2>/dev/null && echo open || echo closed`, 15_000)).trim();
}

describe('escape: the host network and sockets', () => {
  const lab = useLab({ mode: 'workshop', maxSessions: 8 });
  const clients: LabClient[] = [];
  const abstractName = `isolab-escape-${randomBytes(6).toString('hex')}`;
  let loopback: Awaited<ReturnType<typeof listen>>;
  let everywhere: Awaited<ReturnType<typeof listen>>;
  let abstract: Awaited<ReturnType<typeof listen>>;
  let escapeTool: string;

  beforeAll(async () => {
    loopback = await listen({ host: '127.0.0.1', port: 0 });
    everywhere = await listen({ host: '0.0.0.0', port: 0 });
    // A leading NUL: Node binds the name in the abstract namespace (the CVE-2020-15257 class of socket).
    abstract = await listen({ path: `\0${abstractName}` });
    escapeTool = buildStaticHelper('escape-tool');
  });
  afterAll(() => {
    for (const c of clients) c.close();
    for (const l of [loopback, everywhere, abstract]) l.server.close();
  });

  it('with the network switch off, a shell reaches nothing of the host: its loopback, the lab, its abstract sockets', async () => {
    const { client } = await weakestLearner(lab);
    clients.push(client);
    const pid = shellPid(client);
    // Off is the learner's machine's network, not the host's.
    expect(namespaceOf(pid, 'net')).not.toBe(namespaceOf('self', 'net'));
    expect(await reach(client, '127.0.0.1', loopback.port)).toBe('closed');
    expect(await reach(client, '127.0.0.1', Number(new URL(lab.url).port))).toBe('closed');
    expect(await reach(client, '127.0.0.1', everywhere.port)).toBe('closed');
    // Every address of the host, not only its loopback.
    for (const address of Object.values(networkInterfaces()).flat()) {
      if (address?.family === 'IPv4') expect(await reach(client, address.address, everywhere.port), address.address).toBe('closed');
    }
    const tried = JSON.parse(runInside(pid, [escapeTool, 'abstract-connect', abstractName])) as { connected: boolean; errno: number };
    expect(tried).toEqual({ connected: false, errno: 111 }); // ECONNREFUSED: no such name in here
    // What the shell sees of sockets and interfaces: its machine's (lo), none of the host's.
    expect(await client.run('cat /proc/net/unix')).not.toContain(abstractName);
    expect(readFileSync('/proc/net/unix', 'utf8')).toContain(abstractName);
    expect((await client.run('ls /sys/class/net')).trim().split(/\s+/)).toEqual(['lo']);
    // From the host's side: nobody came.
    expect([loopback.accepted(), everywhere.accepted(), abstract.accepted()]).toEqual([0, 0, 0]);
  });

  it('a port a learner binds is their own: neither the host nor another learner reaches it', async () => {
    const [a, b] = await Promise.all([weakestLearner(lab), weakestLearner(lab)]);
    clients.push(a.client, b.client);
    const port = 20000 + (randomBytes(2).readUInt16BE() % 20000);
    // It listens, in the learner's machine (seen from inside; the loop waits for nc to bind)...
    const listening = await a.client.run(
      `nc -l -p ${port} </dev/null >/dev/null & for i in 1 2 3 4 5 6 7 8 9 10; do netstat -ltn | grep -q ':${port} ' && break; sleep 0.1; done; netstat -ltn | grep -c ':${port} '`,
    );
    expect(Number(listening.trim())).toBe(1);
    // ...and the host connecting to that port on its own loopback finds nothing there.
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(answer).toBe('ECONNREFUSED');
    // Another learner, also with their network switch off, is in a machine of their own.
    expect(namespaceOf(shellPid(b.client), 'net')).not.toBe(namespaceOf(shellPid(a.client), 'net'));
    expect(await reach(b.client, '127.0.0.1', port)).toBe('closed');
    // The control: the listener was there all along, for its own machine (nc -l takes one connection).
    expect(await reach(a.client, '127.0.0.1', port)).toBe('open');
  });

  it('learners\' bridged containers reach neither each other nor the host, and the host gains no device', async () => {
    const [a, b] = await Promise.all([weakestLearner(lab), weakestLearner(lab)]);
    clients.push(a.client, b.client);
    for (const { client } of [a, b]) {
      for (const toggle of ['net', 'bridge']) {
        const answer = await client.request('sandbox:toggle', { toggle, on: true });
        expect(answer.ok, JSON.stringify(answer)).toBe(true);
      }
    }
    const addressOf = async (client: LabClient) => /inet (10\.88\.\d+\.\d+)/.exec(await client.run('ip -4 addr show eth0'))?.[1];
    const aAddress = await addressOf(a.client);
    expect(aAddress).toBeDefined();
    await a.client.run("nc -l -p 8080 </dev/null >/dev/null & for i in 1 2 3 4 5 6 7 8 9 10; do netstat -ltn | grep -q ':8080 ' && break; sleep 0.1; done");
    // A's own machine reaches A (the gateway is its machine's bridge)...
    expect(await a.client.run('ping -c 1 -W 1 10.88.0.1 >/dev/null && echo up || echo down')).toContain('up');
    // ...B, on a bridge of its own in its own machine, does not.
    expect(await reach(b.client, aAddress!, 8080)).toBe('closed');
    // The gateway each learner sees is their machine, never the host: the host's listeners get nothing.
    expect(await reach(b.client, '10.88.0.1', everywhere.port)).toBe('closed');
    for (const address of Object.values(networkInterfaces()).flat()) {
      if (address?.family === 'IPv4') expect(await reach(b.client, address.address, everywhere.port), address.address).toBe('closed');
    }
    expect(everywhere.accepted()).toBe(0);
    // The bridges and veths live in the learners' machines: the host has no veth of theirs (each is
    // named after the shell's host PID; other tests' containers may have theirs on the host).
    const hostDevices = readdirSync('/sys/class/net');
    for (const { client } of [a, b]) {
      const veth = `isolab${shellPid(client)}`;
      expect(hostDevices).not.toContain(veth);
      // The control: it is in the learner's machine, where the shell's launcher (its parent) stands.
      const launcher = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${shellPid(client)}/status`, 'utf8'))![1]);
      expect(runInside(launcher, [BUSYBOX, 'ip', '-o', 'link'])).toContain(veth);
    }
    // The control: A's listener was reachable all along, from A's own machine (its gateway's side).
    expect(await reach(a.client, aAddress!, 8080)).toBe('open');
  });
});
