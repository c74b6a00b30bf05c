import { describe, expect, it } from 'vitest';
import { manualTimers } from '../terminal/manual-timers.js';
import { RefreshAfterEnter } from './refresh-after-enter.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

function setup() {
  const timers = manualTimers();
  const done: (() => void)[] = [];
  let calls = 0;
  const refresher = new RefreshAfterEnter(
    () => {
      calls++;
      return new Promise<void>((resolve) => done.push(resolve));
    },
    600,
    timers,
  );
  return { timers, refresher, done, calls: () => calls };
}

describe('RefreshAfterEnter', () => {
  it('refreshes once after a command, not for keystrokes without Enter', () => {
    const { timers, refresher, calls } = setup();
    refresher.input('hostnam');
    expect(timers.armed).toBe(0);
    refresher.input('e x\r');
    expect(timers.armed).toBe(1);
    timers.fire();
    expect(calls()).toBe(1);
  });

  it('folds Enter presses close together into one refresh', () => {
    const { timers, refresher, calls } = setup();
    refresher.input('\r');
    refresher.input('\r');
    refresher.input('ls\r');
    expect(timers.armed).toBe(1);
    timers.fire();
    expect(calls()).toBe(1);
  });

  it('runs once more after a refresh in flight, never two at a time', async () => {
    const { timers, refresher, done, calls } = setup();
    refresher.input('\r');
    timers.fire();
    refresher.input('\r');
    timers.fire();
    refresher.input('\r');
    timers.fire();
    expect(calls()).toBe(1);
    done.shift()!();
    await tick();
    expect(calls()).toBe(2);
    done.shift()!();
    await tick();
    expect(calls()).toBe(2);
  });

  it('forgets a pending refresh when cancelled', () => {
    const { timers, refresher, calls } = setup();
    refresher.input('\r');
    refresher.cancel();
    timers.fire();
    expect(calls()).toBe(0);
  });
});
