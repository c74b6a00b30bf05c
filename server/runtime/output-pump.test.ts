import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COALESCE_WINDOW_MS, OutputPump } from './output-pump.js';

function harness(limits = { high: 100, low: 20 }) {
  const frames: Buffer[] = [];
  const calls: string[] = [];
  const pump = new OutputPump({ send: (f) => frames.push(f), pause: () => calls.push('pause'), resume: () => calls.push('resume') }, limits);
  return { pump, frames, calls };
}

describe('OutputPump', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first chunk at once and coalesces the rest of the burst', () => {
    const { pump, frames } = harness({ high: 1e9, low: 0 });
    pump.push(Buffer.from('a'));
    expect(frames.map(String)).toEqual(['a']);
    pump.push(Buffer.from('b'));
    pump.push(Buffer.from('c'));
    expect(frames.length).toBe(1);
    vi.advanceTimersByTime(COALESCE_WINDOW_MS);
    expect(frames.map(String)).toEqual(['a', 'bc']);
    // After a quiet window the next chunk is immediate again.
    vi.advanceTimersByTime(COALESCE_WINDOW_MS * 2);
    pump.push(Buffer.from('d'));
    expect(frames.map(String)).toEqual(['a', 'bc', 'd']);
  });

  it('pauses above the high watermark and resumes only below the low one', () => {
    const { pump, calls } = harness();
    pump.push(Buffer.alloc(60));
    vi.advanceTimersByTime(COALESCE_WINDOW_MS * 2);
    pump.push(Buffer.alloc(60));
    expect(pump.inFlight).toBe(120);
    expect(calls).toEqual(['pause']);
    pump.ack(60);
    expect(calls).toEqual(['pause']); // 60 in flight: still above low
    pump.ack(50);
    expect(calls).toEqual(['pause', 'resume']);
    expect(pump.isPaused).toBe(false);
  });

  it('never counts below zero, whatever the client acks', () => {
    const { pump } = harness();
    pump.push(Buffer.alloc(10));
    pump.ack(1000);
    expect(pump.inFlight).toBe(0);
  });

  it('drops pending output on close and sends nothing after', () => {
    const { pump, frames } = harness({ high: 1e9, low: 0 });
    pump.push(Buffer.from('a'));
    pump.push(Buffer.from('b'));
    pump.close();
    vi.advanceTimersByTime(100);
    pump.push(Buffer.from('c'));
    expect(frames.map(String)).toEqual(['a']);
    expect(pump.buffered).toBe(0);
  });
});
