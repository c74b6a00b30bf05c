import { describe, expect, it } from 'vitest';
import { LessonOpenRequest, MAX_INPUT_BYTES, SessionStartRequest, TermAck, TermInput, TermSize, ToggleRequest, describeZodError } from './protocol.js';

describe('protocol payloads', () => {
  it.each([
    [{ cols: 80, rows: 24 }, true],
    [{ cols: 1, rows: 24 }, false],
    [{ cols: 80, rows: 0 }, false],
    [{ cols: 501, rows: 24 }, false],
    [{ cols: 80.5, rows: 24 }, false],
    [{ cols: '80', rows: 24 }, false],
    [{ cols: 80, rows: 24, extra: 1 }, false],
    [null, false],
  ])('TermSize %j → %s', (payload, ok) => {
    expect(TermSize.safeParse(payload).success).toBe(ok);
  });

  it('caps input at 64 KiB', () => {
    expect(TermInput.safeParse('x'.repeat(MAX_INPUT_BYTES)).success).toBe(true);
    expect(TermInput.safeParse('x'.repeat(MAX_INPUT_BYTES + 1)).success).toBe(false);
    expect(TermInput.safeParse(42).success).toBe(false);
  });

  it('accepts only known toggles and real booleans', () => {
    expect(ToggleRequest.safeParse({ toggle: 'uts', on: true }).success).toBe(true);
    expect(ToggleRequest.safeParse({ toggle: 'privileged', on: true }).success).toBe(false);
    expect(ToggleRequest.safeParse({ toggle: 'uts', on: 'yes' }).success).toBe(false);
  });

  it('rejects lesson ids that could walk the file system', () => {
    expect(LessonOpenRequest.safeParse({ lessonId: '01-uts-namespace' }).success).toBe(true);
    expect(LessonOpenRequest.safeParse({ lessonId: '../../etc/passwd' }).success).toBe(false);
    expect(SessionStartRequest.safeParse({ cols: 80, rows: 24, lessonId: '01-x/..' }).success).toBe(false);
  });

  it('acks must be positive integers', () => {
    expect(TermAck.safeParse({ bytes: 16384 }).success).toBe(true);
    expect(TermAck.safeParse({ bytes: -1 }).success).toBe(false);
    expect(TermAck.safeParse({ bytes: Infinity }).success).toBe(false);
  });

  it('describes an error by field', () => {
    const res = TermSize.safeParse({ cols: 9999, rows: 24 });
    expect(describeZodError(res.error!)).toMatch(/^cols: /);
  });
});
