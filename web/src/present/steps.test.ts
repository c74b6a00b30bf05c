import { describe, expect, it } from 'vitest';
import { StepCursor, shorten, type Step, type StepSource } from './steps.js';

const step = (command: string): Step => ({ command: { command, interrupt: true }, heading: '', intro: '' });
const source = (id: string, n: number): StepSource => ({ id, title: id, steps: Array.from({ length: n }, (_, i) => step(`cmd ${i}`)), task: '' });

describe('StepCursor', () => {
  it('walks the steps within their bounds', () => {
    const c = new StepCursor();
    expect(c.follow(source('a', 3))).toBe(0);
    expect(c.label()).toBe('Step 1 of 3');
    expect(c.atStart).toBe(true);
    expect(c.move(-1)).toBe(0);
    c.move(1);
    expect(c.move(1)).toBe(2);
    expect(c.move(1)).toBe(2);
    expect(c.atEnd).toBe(true);
    expect(c.label()).toBe('Step 3 of 3');
  });

  it('keeps its place when the same source updates, and starts over for a new one', () => {
    const c = new StepCursor();
    c.follow(source('a', 3));
    c.move(1);
    expect(c.follow(source('a', 3))).toBe(1);
    expect(c.follow(source('a', 1))).toBe(0);
    c.follow(source('b', 4));
    expect(c.index).toBe(0);
  });

  it('says when there is nothing to step through', () => {
    const c = new StepCursor();
    c.follow(source('a', 0));
    expect(c.label()).toBe('No commands in this lesson');
    expect(c.move(1)).toBe(0);
  });
});

describe('shorten', () => {
  it('keeps short text, and cuts long text at a word', () => {
    expect(shorten('  Two\n words. ')).toBe('Two words.');
    const long = 'word '.repeat(100);
    const cut = shorten(long, 40);
    expect(cut.length).toBeLessThanOrEqual(40);
    expect(cut).toMatch(/word…$/);
  });
});
