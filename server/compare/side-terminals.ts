// A learner's other terminals: a shell in their own gVisor sandbox (runsc on a pty) and a shell on the
// shared VM (a virtio console port: the guest's tty is the pty). Each has its own OutputPump, so a
// flood in one is flow-controlled exactly like the container's shell, and each is released when the
// learner closes its tab or leaves.
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import * as nodePty from 'node-pty';
import type { SideTarget } from '../../common/compare.js';
import type { SideOpened, TermSize } from '../../common/protocol.js';
import { LabError } from '../base/errors.js';
import { OutputPump } from '../runtime/output-pump.js';
import { stopPty } from '../runtime/stop-process.js';
import { destroySandbox, spawnGvisorShell } from './gvisor.js';
import type { CompareService } from './service.js';

export interface SideOutputSink {
  output(target: SideTarget, frame: Buffer): void;
  exit(target: SideTarget, message: string): void;
}

interface SideTerminal {
  pump: OutputPump;
  write(data: string): void;
  resize(size: TermSize): void;
  dispose(): void;
  description: string;
}

/** A sandbox or a VM shell per target per this many milliseconds: more is a script churning sandboxes. */
const MIN_OPEN_INTERVAL_MS = 1_000;

export class SideTerminals {
  private readonly open = new Map<SideTarget, SideTerminal>();
  private readonly lastOpen = new Map<SideTarget, number>();
  private readonly opening = new Map<SideTarget, Promise<SideOpened>>();
  private disposed = false;

  constructor(
    /** gVisor and the VM; absent on a server that offers no comparison. */
    private readonly service: CompareService | undefined,
    private readonly sink: SideOutputSink,
    /** Whether this server gives a shell on the host (a solo lab's presenter mode; never a workshop server). */
    private readonly hostShell: boolean,
  ) {}

  /** Opens the target's terminal (or returns the one already open). */
  openTerminal(target: SideTarget, size: TermSize): Promise<SideOpened> {
    const existing = this.open.get(target);
    if (existing) return Promise.resolve({ target, description: existing.description });
    const inFlight = this.opening.get(target);
    if (inFlight) return inFlight;
    const now = Date.now();
    if (now - (this.lastOpen.get(target) ?? 0) < MIN_OPEN_INTERVAL_MS) {
      return Promise.reject(new LabError('rate_limited', 'opened too often; wait a moment'));
    }
    this.lastOpen.set(target, now);
    const opened = target === 'host' ? this.openHost(size) : target === 'gvisor' ? this.openGvisor(size) : this.openVm(size);
    const p = opened.finally(() => this.opening.delete(target));
    this.opening.set(target, p);
    return p;
  }

  input(target: SideTarget, data: string): void {
    this.open.get(target)?.write(data);
  }

  resize(target: SideTarget, size: TermSize): void {
    this.open.get(target)?.resize(size);
  }

  ack(target: SideTarget, bytes: number): void {
    this.open.get(target)?.pump.ack(bytes);
  }

  close(target: SideTarget): void {
    const t = this.open.get(target);
    if (!t) return;
    this.open.delete(target);
    t.dispose();
  }

  dispose(): void {
    this.disposed = true;
    for (const target of [...this.open.keys()]) this.close(target);
  }

  private register(target: SideTarget, t: SideTerminal): SideOpened {
    if (this.disposed) {
      t.dispose();
      throw new LabError('not_started', 'the session has ended');
    }
    this.open.set(target, t);
    return { target, description: t.description };
  }

  private ended(target: SideTarget, t: SideTerminal, message: string): void {
    if (this.open.get(target) !== t) return;
    this.open.delete(target);
    t.dispose();
    this.sink.exit(target, message);
  }

  /**
   * A side terminal on a pty (the host's shell, runsc's): its output through a pump of its own, its
   * end reported with EXITED's message, and STOP run once when it is closed or has ended.
   */
  private ptyTerminal(
    target: SideTarget,
    pty: nodePty.IPty,
    how: { description: string; exited(exitCode: number): string; stop(): void },
  ): SideTerminal {
    let disposed = false;
    const t: SideTerminal = {
      pump: new OutputPump({ send: (frame) => this.sink.output(target, frame), pause: () => pty.pause(), resume: () => pty.resume() }),
      write: (data) => pty.write(data),
      resize: (s) => pty.resize(s.cols, s.rows),
      description: how.description,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        t.pump.close();
        dataSub.dispose();
        exitSub.dispose();
        how.stop();
      },
    };
    // encoding: null on both spawns: node-pty hands over Buffers, whatever its types say.
    const dataSub = pty.onData((d) => t.pump.push(d as unknown as Buffer));
    const exitSub = pty.onExit(({ exitCode }) => this.ended(target, t, how.exited(exitCode)));
    return t;
  }

  private comparison(): CompareService {
    if (!this.service) throw new LabError('not_found', 'this server offers no comparison (gVisor, VM)');
    return this.service;
  }

  /**
   * A shell on the host, beside the container's, so an audience sees both views (`ps` inside and
   * out). Checked here, where it runs, whatever the page offers: a workshop server never gives one.
   * On a solo lab it hands the owner nothing new (every switch off is already a root shell here).
   */
  private async openHost(size: TermSize): Promise<SideOpened> {
    if (!this.hostShell) throw new LabError('forbidden', 'a shell on the host is for a solo lab (presenter mode); this server gives none');
    const shell = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
    const pty = nodePty.spawn(shell, ['-l'], {
      name: 'xterm-256color',
      // Bytes, not text: the pump and the page count bytes for flow control.
      encoding: null,
      cols: size.cols,
      rows: size.rows,
      cwd: process.env['HOME'] ?? '/',
      env: { TERM: 'xterm-256color', HOME: process.env['HOME'] ?? '/root', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', PS1: 'host:\\w\\$ ' },
    });
    const t = this.ptyTerminal('host', pty, {
      description: `a shell on the host (${shell}): what the host sees of your container`,
      exited: (code) => `the host shell exited (code ${code}); open it again for a new one`,
      stop: () => stopPty(pty, 'SIGHUP'),
    });
    return this.register('host', t);
  }

  private async openGvisor(size: TermSize): Promise<SideOpened> {
    const service = this.comparison();
    const rt = service.gvisor;
    if (!rt.ok) throw new LabError('not_found', rt.message);
    if (service.gvisorShells >= service.maxGvisorShells) {
      throw new LabError('server_full', `all ${service.maxGvisorShells} gVisor shells of this server are in use; try again later`);
    }
    service.gvisorShells++;
    const { pty, id, dir } = spawnGvisorShell(rt.value, size);
    const t = this.ptyTerminal('gvisor', pty, {
      description: 'a shell in your own gVisor sandbox (runsc --platform=ptrace, no network): its kernel is the Sentry',
      exited: (code) => `the gVisor shell exited (code ${code}); open the tab again for a new sandbox`,
      stop: () => {
        // runsc passes SIGTERM on to the sandbox; destroySandbox removes whatever is left.
        stopPty(pty, 'SIGTERM');
        void destroySandbox(rt.value, id, dir).finally(() => service.gvisorShells--);
      },
    });
    return this.register('gvisor', t);
  }

  private async openVm(size: TermSize): Promise<SideOpened> {
    const service = this.comparison();
    if (!service.vmPool.image.ok) throw new LabError('not_found', service.vmPool.image.message);
    let lease;
    try {
      lease = await service.vmPool.leaseShell();
    } catch (err) {
      throw new LabError('server_full', (err as Error).message);
    }
    let socket: Socket;
    try {
      socket = await lease.vm.openPort(lease.port);
    } catch (err) {
      lease.release();
      throw new LabError('launch_failed', `the VM shell could not be opened: ${(err as Error).message}`);
    }
    const { vm, port } = lease;
    vm.resizePort(port, size.cols, size.rows);
    let disposed = false;
    const t: SideTerminal = {
      pump: new OutputPump({ send: (frame) => this.sink.output('vm', frame), pause: () => socket.pause(), resume: () => socket.resume() }),
      write: (data) => socket.write(data),
      resize: (s) => vm.resizePort(port, s.cols, s.rows),
      description: `shell ${port} of ${vm.shells} on the shared VM (user learner${port}; own kernel, booted in ${(vm.bootMs / 1000).toFixed(2)} s with ${vm.accel.toUpperCase()})`,
      dispose: () => {
        if (disposed) return;
        disposed = true;
        t.pump.close();
        offExit();
        socket.destroy();
        lease.release();
      },
    };
    socket.on('data', (d: Buffer) => t.pump.push(d));
    if (!t.pump.isPaused) socket.resume();
    socket.on('close', () => this.ended('vm', t, 'the VM shell closed; open the tab again for a new one'));
    socket.on('error', () => socket.destroy());
    const offExit = vm.onExit(() => this.ended('vm', t, 'the shared VM stopped; open the tab again to boot it'));
    return this.register('vm', t);
  }
}
