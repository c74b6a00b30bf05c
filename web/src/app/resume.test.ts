import { describe, expect, it } from 'vitest';
import { InputLedger, OFFLINE_INPUT_MAX_CHARS, ResumeToken } from './resume.js';

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
}

describe('ResumeToken', () => {
  it('is kept in the tab storage, so a reload of the tab finds it', () => {
    const storage = memoryStorage();
    new ResumeToken(storage).set('t1');
    expect(new ResumeToken(storage).get()).toBe('t1');
    new ResumeToken(storage).clear();
    expect(new ResumeToken(storage).get()).toBeNull();
  });

  it('without storage, lives as long as the page', () => {
    const t = new ResumeToken(null);
    t.set('t2');
    expect(t.get()).toBe('t2');
  });
});

describe('InputLedger', () => {
  it('sends again what the server did not receive, then what was typed offline', () => {
    const ledger = new InputLedger();
    ledger.sent('echo one\r');
    ledger.sent('echo tw');
    ledger.queue('o\r');
    // The server got the first line only.
    expect(ledger.reattached('echo one\r'.length)).toEqual({ resend: 'echo two\r', dropped: 0 });
    // Counted from the server's number from now on.
    ledger.sent('x');
    expect(ledger.reattached('echo one\r'.length + 1)).toEqual({ resend: '', dropped: 0 });
  });

  it('keeps a bounded amount typed offline and says how much it dropped', () => {
    const ledger = new InputLedger();
    ledger.queue('a'.repeat(OFFLINE_INPUT_MAX_CHARS + 10));
    const { resend, dropped } = ledger.reattached(0);
    expect(resend).toHaveLength(OFFLINE_INPUT_MAX_CHARS);
    expect(dropped).toBe(10);
  });

  it('gives up what was typed offline when the session is gone', () => {
    const ledger = new InputLedger();
    ledger.queue('ls\r');
    expect(ledger.abandon()).toBe(3);
    expect(ledger.reattached(0)).toEqual({ resend: '', dropped: 0 });
  });
});
