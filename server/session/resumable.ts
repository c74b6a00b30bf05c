// Sessions that survive their browser's connection: a dropped connection (a laptop asleep, a Wi-Fi
// change) leaves the session running for a grace period, and the page that holds its resume token
// gets the same shell back (session:resume). After the grace the session ends as a closed page's
// does; the learner's next session:start gets a fresh shell with their saved progress.
//
// The token is 32 random bytes, kept here only as its SHA-256 (a lookup by hash neither leaks
// through timing nor keeps the secret in memory), and replaced at every re-attach: a token that
// leaked once (a copied tab's sessionStorage) re-attaches at most once, and its holder then holds it alone.
import { createHash, randomBytes } from 'node:crypto';
import type { OutputRelay } from './output-relay.js';
import type { Session } from './session.js';

/** How long a detached shell waits for its page: a laptop lid closed over a coffee, a Wi-Fi hand-over. */
export const DEFAULT_RESUME_GRACE_MS = 60_000;

/** Whoever holds a session now: a browser's connection, told to let go when another takes over. */
export interface SessionHolder {
  /** Another page re-attached with the token: this one no longer has the session. */
  lose(): void;
}

interface Entry {
  id: string;
  session: Session;
  relay: OutputRelay;
  tokenHash: string;
  holder: SessionHolder | undefined;
  expiry: NodeJS.Timeout | undefined;
}

export interface Resumed {
  id: string;
  session: Session;
  relay: OutputRelay;
  /** The token for the next re-attach (the one presented is spent). */
  token: string;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

export class ResumableSessions {
  private readonly byId = new Map<string, Entry>();
  private readonly byToken = new Map<string, Entry>();

  /**
   * @param sessions every live session by id (the server's count, /healthz): an entry leaves it when its session ends
   * @param graceMs how long a detached session waits for its page
   */
  constructor(
    private readonly sessions: Map<string, Session>,
    readonly graceMs: number = DEFAULT_RESUME_GRACE_MS,
  ) {}

  /** Sessions waiting for their page. */
  get detachedCount(): number {
    let n = 0;
    for (const e of this.byId.values()) if (!e.holder) n++;
    return n;
  }

  /** A new session held by HOLDER; returns its first resume token. */
  add(id: string, session: Session, relay: OutputRelay, holder: SessionHolder): string {
    const token = newToken();
    const entry: Entry = { id, session, relay, tokenHash: hash(token), holder, expiry: undefined };
    this.byId.set(id, entry);
    this.byToken.set(entry.tokenHash, entry);
    this.sessions.set(id, session);
    return token;
  }

  /** HOLDER's connection went: the session waits graceMs for a re-attach, then ends. Nothing if another holds it now. */
  detach(id: string, holder: SessionHolder): void {
    const entry = this.byId.get(id);
    if (!entry || entry.holder !== holder) return;
    entry.holder = undefined;
    entry.relay.detach();
    entry.expiry = setTimeout(() => this.end(id), this.graceMs);
    // A server shutting down does not wait for a grace period.
    entry.expiry.unref();
  }

  /**
   * The session TOKEN re-attaches, now held by HOLDER (a holder still attached, whose drop the
   * server has not noticed yet, loses it); undefined when no session has that token (ended, or never).
   */
  take(token: string, holder: SessionHolder): Resumed | undefined {
    const entry = this.byToken.get(hash(token));
    if (!entry) return undefined;
    clearTimeout(entry.expiry);
    entry.expiry = undefined;
    const previous = entry.holder;
    entry.holder = holder;
    this.byToken.delete(entry.tokenHash);
    const next = newToken();
    entry.tokenHash = hash(next);
    this.byToken.set(entry.tokenHash, entry);
    if (previous && previous !== holder) previous.lose();
    return { id: entry.id, session: entry.session, relay: entry.relay, token: next };
  }

  /** Ends session ID now (its shell stops). Idempotent. */
  end(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    clearTimeout(entry.expiry);
    this.byId.delete(id);
    this.byToken.delete(entry.tokenHash);
    this.sessions.delete(id);
    entry.relay.detach();
    entry.session.dispose();
  }

  /** Ends every session (the server stops). */
  close(): void {
    for (const id of [...this.byId.keys()]) this.end(id);
  }
}
