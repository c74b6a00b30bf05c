// The banner before a workshop session ends on its own (server/transport/session-clock.ts): when,
// why, and what the learner can do about it.
import type { SessionExpiring } from '../../../common/protocol.js';

/** "in about 2 minutes", "in 40 seconds". */
export function inWords(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  return `in about ${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** The banner's text for WARNING (one with a time: a withdrawn warning shows nothing). */
export function expiryWarning(warning: SessionExpiring & { endsInMs: number }): { message: string; detail: string } {
  return warning.reason === 'idle'
    ? { message: `This session ends ${inWords(warning.endsInMs)}: nothing was typed for a while.`, detail: 'Type anything in the terminal to keep it.' }
    : { message: `This session ends ${inWords(warning.endsInMs)}: it has lasted as long as this server allows.`, detail: 'Your progress is saved; reload the page afterwards to start a new one.' };
}
