// What speakers share with their audience: a presenter's terminal, under a short code, fed to a
// TerminalBroadcast (base/terminal-broadcast.ts) that the audience listener reads
// (transport/audience.ts). The code is random, never reused while shared, and ends with the share.
import { randomInt } from 'node:crypto';
import { WATCH_CODE_ALPHABET, WATCH_CODE_LENGTH } from '../../common/watch.js';
import type { Disposer } from '../base/disposable.js';
import { LabError } from '../base/errors.js';
import { TerminalBroadcast } from '../base/terminal-broadcast.js';
import type { Session } from './session.js';

/** A server shares a few terminals at most (a talk, a rehearsal in another window). */
export const MAX_SHARES = 8;

interface Share {
  broadcast: TerminalBroadcast;
  untap: Disposer;
  ended: Set<() => void>;
}

export class AudienceShares {
  private readonly shares = new Map<string, Share>();

  /** Starts sharing SESSION's terminal; returns its code and the function that ends it. */
  share(session: Session): { code: string; stop: () => void } {
    if (this.shares.size >= MAX_SHARES) throw new LabError('server_full', `this server already shares ${MAX_SHARES} terminals`);
    let code: string;
    do code = Array.from({ length: WATCH_CODE_LENGTH }, () => WATCH_CODE_ALPHABET[randomInt(WATCH_CODE_ALPHABET.length)]).join('');
    while (this.shares.has(code));
    const { cols, rows } = session.termSize;
    const broadcast = new TerminalBroadcast(cols, rows);
    // The room sees the screen as it is now, not a blank one until the speaker types.
    broadcast.write(session.recentOutput());
    const untap = session.tap({ output: (d) => broadcast.write(d), resize: (c, r) => broadcast.resize(c, r), marker: () => {} });
    this.shares.set(code, { broadcast, untap, ended: new Set() });
    return { code, stop: () => this.stop(code) };
  }

  broadcast(code: string): TerminalBroadcast | undefined {
    return this.shares.get(code)?.broadcast;
  }

  onEnded(code: string, listener: () => void): () => void {
    const share = this.shares.get(code);
    if (!share) {
      listener();
      return () => {};
    }
    share.ended.add(listener);
    return () => share.ended.delete(listener);
  }

  stop(code: string): void {
    const share = this.shares.get(code);
    if (!share) return;
    this.shares.delete(code);
    share.untap();
    for (const l of [...share.ended]) l();
    share.broadcast.close();
  }

  close(): void {
    for (const code of [...this.shares.keys()]) this.stop(code);
  }
}
