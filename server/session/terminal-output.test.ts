import type { IPty } from 'node-pty';
import { describe, expect, it } from 'vitest';
import { FLOW_CONTROL } from '../../common/protocol.js';
import { HELD_OUTPUT_BYTES, TerminalOutput, bannerLine } from './terminal-output.js';

/** Just what TerminalOutput uses of a pty: its data event, pause and resume. */
function fakePty() {
  const listeners = new Set<(d: Buffer) => void>();
  const calls: string[] = [];
  const pty = {
    onData: (l: (d: Buffer) => void) => {
      listeners.add(l);
      return { dispose: () => listeners.delete(l) };
    },
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  } as unknown as IPty;
  return { pty, calls, emit: (s: string | Buffer) => listeners.forEach((l) => l(Buffer.from(s))), listeners };
}

async function frames(sent: Buffer[], run: () => void): Promise<string> {
  run();
  await new Promise((r) => setTimeout(r, 20));
  return Buffer.concat(sent.splice(0)).toString();
}

describe('TerminalOutput', () => {
  it('shows a banner on a fresh line, and none when nothing changed', async () => {
    const sent: Buffer[] = [];
    const out = new TerminalOutput((f) => sent.push(f), () => undefined);
    expect(await frames(sent, () => out.banner(['pid namespace on', 'user namespace off'], 'new shell'))).toBe(
      '\r\n\x1b[36m── isolab: pid namespace on · user namespace off — new shell ──\x1b[0m\r\n',
    );
    expect(await frames(sent, () => out.banner([], 'new shell'))).toBe('');
    expect(bannerLine(['limits unchanged'], 'same shell, new limits').toString()).toContain('limits unchanged — same shell, new limits');
  });

  it('holds an attached pty\'s output until shown (the old shell is still in use), then feeds it until detached', async () => {
    const sent: Buffer[] = [];
    const out = new TerminalOutput((f) => sent.push(f), () => undefined);
    const p = fakePty();
    const held = out.attach(p.pty);
    expect(await frames(sent, () => p.emit('new prompt# '))).toBe('');
    expect(await frames(sent, () => held.show())).toBe('new prompt# ');
    expect(await frames(sent, () => p.emit('hello'))).toBe('hello');
    held.detach();
    expect(p.listeners.size).toBe(0);
  });

  it('keeps only HELD_OUTPUT_BYTES of a shell not yet shown, and nothing of one detached unshown', async () => {
    const sent: Buffer[] = [];
    const out = new TerminalOutput((f) => sent.push(f), () => undefined);
    const p = fakePty();
    const held = out.attach(p.pty);
    p.emit(Buffer.alloc(HELD_OUTPUT_BYTES, 'a'));
    p.emit('more');
    expect((await frames(sent, () => held.show())).length).toBe(HELD_OUTPUT_BYTES);
    const failed = fakePty();
    out.attach(failed.pty).detach();
    expect(await frames(sent, () => failed.emit('launcher noise'))).toBe('');
  });

  it('pauses the current pty past the high watermark, and a pty attached meanwhile starts paused', async () => {
    const sent: Buffer[] = [];
    const first = fakePty();
    let current: IPty | undefined = first.pty;
    const out = new TerminalOutput((f) => sent.push(f), () => current);
    out.attach(first.pty).show();
    const flood = Buffer.alloc(FLOW_CONTROL.highWatermarkBytes + 1, 'y');
    await frames(sent, () => first.emit(flood));
    expect(first.calls).toEqual(['pause']);
    expect(out.stats.paused).toBe(true);
    // A respawn: the browser is still behind, so the new shell must not flood it either.
    const second = fakePty();
    current = second.pty;
    out.attach(second.pty).show();
    expect(second.calls).toEqual(['pause']);
    out.ack(flood.length);
    expect(second.calls).toEqual(['pause', 'resume']);
    expect(first.calls).toEqual(['pause']);
  });
});

describe('TerminalOutput.screen (a re-attaching browser starts from it)', () => {
  it('is a full reset, then the screen the log shows', async () => {
    const out = new TerminalOutput(() => {}, () => undefined);
    const { pty, emit } = fakePty();
    out.attach(pty).show();
    emit('one\r\n');
    emit('# echo two' + 'x'.repeat(70) + '\r\n');
    const screen = (await out.screen(40, 10)).toString();
    expect(screen.startsWith('\x1bc')).toBe(true);
    expect(screen).toContain('one');
    expect(screen).toContain('# echo two' + 'x'.repeat(70));
    out.close();
  });

  it('after the log was trimmed, starts at its first whole line', async () => {
    const out = new TerminalOutput(() => {}, () => undefined);
    const { pty, emit } = fakePty();
    out.attach(pty).show();
    emit('\x1b[31mred-start');
    for (let i = 0; i < 2000; i++) emit(`line ${i}\r\n`);
    const screen = (await out.screen(80, 24)).toString();
    expect(screen).not.toContain('red-start');
    expect(screen).toContain('line 1999');
    out.close();
  });
});
