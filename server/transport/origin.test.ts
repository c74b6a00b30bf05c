import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { hostAllowed, originAllowed } from './origin.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('hostAllowed (DNS rebinding guard)', () => {
  it.each([
    ['127.0.0.1:7681', true],
    ['localhost:7681', true],
    ['[::1]:7681', true],
    ['evil.example:7681', false],
    ['127.evil.example:7681', false],
    ['lab.example.org', false],
  ])('%s → %s', (host, ok) => expect(hostAllowed(host)).toBe(ok));
  it('allows configured names', () => expect(hostAllowed('lab.example.org:80', ['lab.example.org'])).toBe(true));
});

describe('originAllowed (cross-site WebSocket guard)', () => {
  it('accepts the page itself and non-browser clients', () => {
    expect(originAllowed(req({ host: '127.0.0.1:7681', origin: 'http://127.0.0.1:7681' }))).toBe(true);
    expect(originAllowed(req({ host: '127.0.0.1:7681' }))).toBe(true);
  });
  it('refuses any other origin', () => {
    expect(originAllowed(req({ host: '127.0.0.1:7681', origin: 'https://evil.example' }))).toBe(false);
    expect(originAllowed(req({ host: '127.0.0.1:7681', origin: 'null' }))).toBe(false);
  });
});
