import { describe, expect, it } from 'vitest';
import { TerminalBroadcast, VIEWER_CATCH_UP_BYTES, VIEWER_LAG_BYTES, type ViewerFrame } from './terminal-broadcast.js';

/** Until the mirror has taken in everything written so far (screens queued before are out then). */
const settle = async (b: TerminalBroadcast) => {
  await b.screen();
  await new Promise((r) => setImmediate(r));
};

/** A viewer that keeps what it was sent, as a browser's xterm would show it (screen, then output). */
function recordingViewer() {
  const frames: ViewerFrame[] = [];
  return {
    frames,
    viewer: { send: (f: ViewerFrame) => frames.push(f) },
    text: () => frames.map((f) => (f.kind === 'screen' ? `[screen]${f.data}` : f.data.toString())).join(''),
  };
}

describe('TerminalBroadcast', () => {
  it('gives a joining viewer the screen as it is, then the live output', async () => {
    const b = new TerminalBroadcast(40, 5);
    b.write(Buffer.from('before\r\n'));
    const v = recordingViewer();
    b.add(v.viewer);
    b.write(Buffer.from('during\r\n')); // written while the screen is being made: comes after it
    await settle(b);
    b.write(Buffer.from('after\r\n'));
    await settle(b);
    expect(v.frames[0]).toMatchObject({ kind: 'screen', cols: 40, rows: 5 });
    expect(v.text()).toMatch(/^\[screen\]before[\s\S]*during\r\nafter\r\n$/);
    expect(v.text()).not.toMatch(/\[screen\][^[]*during/);
    b.close();
  });

  it('skips a viewer that stops acknowledging, without holding anyone else back, and resynchronises it', async () => {
    const b = new TerminalBroadcast(80, 24);
    const slow = recordingViewer();
    const fast = recordingViewer();
    const fastViewer = fast.viewer;
    b.add(slow.viewer);
    b.add(fastViewer);
    await settle(b);
    const chunk = Buffer.alloc(16 * 1024, 'y');
    const chunks = Math.ceil((VIEWER_LAG_BYTES * 2) / chunk.length);
    for (let i = 0; i < chunks; i++) {
      b.write(chunk);
      await settle(b); // each chunk out on its own turn, as a shell's output comes
      b.ack(fastViewer, chunk.length); // the fast one keeps up
    }
    const sentToSlow = slow.frames.filter((f) => f.kind === 'output').reduce((n, f) => n + (f.kind === 'output' ? f.data.length : 0), 0);
    expect(sentToSlow).toBeLessThanOrEqual(VIEWER_LAG_BYTES);
    expect(b.dropped(slow.viewer)).toBeGreaterThan(0);
    expect(fast.frames.filter((f) => f.kind === 'output')).toHaveLength(chunks);
    // The slow viewer catches up: it gets a fresh screen, then live output again.
    b.ack(slow.viewer, VIEWER_LAG_BYTES);
    await settle(b);
    expect(slow.frames.at(-1)).toMatchObject({ kind: 'screen' });
    b.ack(slow.viewer, VIEWER_CATCH_UP_BYTES * 10);
    b.write(Buffer.from('live'));
    await settle(b);
    expect(slow.frames.at(-1)).toMatchObject({ kind: 'output' });
    b.close();
  });

  it('sends a burst of output as one frame, after the owner\'s turn', async () => {
    const b = new TerminalBroadcast(80, 24);
    const v = recordingViewer();
    b.add(v.viewer);
    await settle(b);
    const before = v.frames.length;
    b.write(Buffer.from('a'));
    b.write(Buffer.from('b'));
    b.write(Buffer.from('c'));
    expect(v.frames).toHaveLength(before); // nothing sent in the owner's turn
    await settle(b);
    expect(v.frames.slice(before).map((f) => (f.kind === 'output' ? f.data.toString() : f.kind))).toEqual(['abc']);
    b.close();
  });

  it('redraws every viewer at a new size, and a detached viewer gets nothing', async () => {
    const b = new TerminalBroadcast(80, 24);
    const v = recordingViewer();
    const detach = b.add(v.viewer);
    await settle(b);
    b.resize(100, 30);
    await settle(b);
    expect(v.frames.at(-1)).toMatchObject({ kind: 'screen', cols: 100, rows: 30 });
    detach();
    const count = v.frames.length;
    b.write(Buffer.from('x'));
    await settle(b);
    expect(v.frames).toHaveLength(count);
    expect(b.viewerCount).toBe(0);
    b.close();
  });
});
