// A workshop connection's clock: it ends after the idle timeout (nothing from the learner) or at
// the maximum session length, whichever comes first, and warns the page before either. A seat on
// a shared server must come free again: a learner who walked away, or a tab left open overnight,
// holds a shell, a cgroup and a uid range that the next learner needs.
import type { SessionEndReason, SessionExpiring } from '../../common/protocol.js';

export interface SessionLimits {
  /** Ends a connection nothing came from for this long; 0 = never. */
  idleMs: number;
  /** Ends every connection this long after it began; 0 = never. */
  maxMs: number;
}

/**
 * How long before the end the page is warned: two minutes, time enough to save work or to type a
 * key; a limit shorter than twice that (a test's) is warned at its half.
 */
export const WARNING_LEAD_MS = 2 * 60_000;

export function warningLead(limitMs: number): number {
  return Math.min(WARNING_LEAD_MS, Math.floor(limitMs / 2));
}

export interface ClockEvents {
  expiring(warning: SessionExpiring): void;
  ended(reason: SessionEndReason): void;
}

export class SessionClock {
  private readonly startedAt = Date.now();
  private lastActivity = this.startedAt;
  private timer: NodeJS.Timeout | undefined;
  /** The warnings the page shows now. */
  private readonly warned = new Set<SessionEndReason>();
  private done = false;

  constructor(
    private readonly limits: SessionLimits,
    private readonly events: ClockEvents,
  ) {
    this.schedule();
  }

  /** The learner did something: the idle timeout starts again, and an idle warning is withdrawn. */
  activity(): void {
    if (this.done) return;
    this.lastActivity = Date.now();
    if (this.warned.has('idle')) {
      this.warned.delete('idle');
      this.events.expiring({ reason: 'idle', endsInMs: null });
      this.schedule();
    }
    // Otherwise the pending timer stays: it looks at lastActivity when it fires (no timer per keystroke).
  }

  dispose(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  /** The ends still ahead, each with its time and its warning's time. */
  private deadlines(): { reason: SessionEndReason; endAt: number; warnAt: number }[] {
    const out: { reason: SessionEndReason; endAt: number; warnAt: number }[] = [];
    const { idleMs, maxMs } = this.limits;
    if (maxMs > 0) out.push({ reason: 'max_length', endAt: this.startedAt + maxMs, warnAt: this.startedAt + maxMs - warningLead(maxMs) });
    if (idleMs > 0) out.push({ reason: 'idle', endAt: this.lastActivity + idleMs, warnAt: this.lastActivity + idleMs - warningLead(idleMs) });
    return out;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const ahead = this.deadlines();
    if (this.done || ahead.length === 0) return;
    const now = Date.now();
    const first = Math.min(...ahead.map((d) => (this.warned.has(d.reason) ? d.endAt : d.warnAt)));
    this.timer = setTimeout(() => this.tick(), Math.max(0, first - now));
    this.timer.unref();
  }

  private tick(): void {
    if (this.done) return;
    const now = Date.now();
    const ahead = this.deadlines().sort((a, b) => a.endAt - b.endAt);
    const over = ahead.find((d) => now >= d.endAt);
    if (over) {
      this.done = true;
      this.events.ended(over.reason);
      return;
    }
    for (const d of ahead) {
      if (now < d.warnAt || this.warned.has(d.reason)) continue;
      this.warned.add(d.reason);
      this.events.expiring({ reason: d.reason, endsInMs: d.endAt - now });
    }
    this.schedule();
  }
}
