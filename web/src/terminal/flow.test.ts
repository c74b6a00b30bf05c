import { describe, expect, it } from 'vitest';
import { FLOW_CONTROL } from '../../../common/protocol.js';
import { FlowAcker } from './flow.js';
import { manualTimers } from './manual-timers.js';

function setup(ackEveryBytes = 100) {
  const sent: number[] = [];
  const timers = manualTimers();
  const acker = new FlowAcker({ send: (b) => sent.push(b), ackEveryBytes, timers });
  return { sent, timers, acker };
}

describe('FlowAcker', () => {
  it('defaults to the shared ack threshold', () => {
    const sent: number[] = [];
    const acker = new FlowAcker({ send: (b) => sent.push(b), timers: manualTimers() });
    acker.track(FLOW_CONTROL.ackEveryBytes - 1)();
    expect(sent).toEqual([]);
    acker.track(1)();
    expect(sent).toEqual([FLOW_CONTROL.ackEveryBytes]);
  });

  it('acks only what the terminal has processed, not what it has received', () => {
    const { sent, acker } = setup();
    const done = acker.track(150);
    expect(sent).toEqual([]);
    done();
    expect(sent).toEqual([150]);
  });

  it('batches small writes until the threshold', () => {
    const { sent, acker } = setup();
    for (let i = 0; i < 9; i++) acker.track(10)();
    expect(sent).toEqual([]);
    acker.track(10)();
    expect(sent).toEqual([100]);
    expect(acker.pending).toBe(0);
  });

  it('flushes the remainder once output goes idle, so the server never stalls', () => {
    const { sent, acker, timers } = setup();
    acker.track(30)();
    acker.track(5)();
    expect(timers.armed).toBe(1);
    timers.fire();
    expect(sent).toEqual([35]);
    timers.fire();
    expect(sent).toEqual([35]);
  });

  it('cancels the idle flush when a threshold ack already covered the bytes', () => {
    const { sent, acker, timers } = setup();
    acker.track(30)();
    acker.track(80)();
    expect(sent).toEqual([110]);
    expect(timers.armed).toBe(0);
  });

  it('ignores write callbacks from before a reset', () => {
    const { sent, acker, timers } = setup();
    const stale = acker.track(500);
    acker.track(20)();
    acker.reset();
    stale();
    timers.fire();
    expect(sent).toEqual([]);
    acker.track(120)();
    expect(sent).toEqual([120]);
  });

  it('never sends an empty ack', () => {
    const { sent, acker } = setup();
    acker.flush();
    acker.track(0)();
    acker.flush();
    expect(sent).toEqual([]);
  });
});
