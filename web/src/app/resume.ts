// What lets this tab get its shell back after the connection dropped (server/session/resumable.ts):
// the resume token, kept in this tab's sessionStorage (a reload re-attaches too; another tab or
// browser has its own session), and the keystrokes of the gap, so nothing typed is lost.

const TOKEN_KEY = 'isolab.resume';
/** Keystrokes typed while offline, kept for the re-attach: a few lines' worth; more is dropped, and said. */
export const OFFLINE_INPUT_MAX_CHARS = 4 * 1024;
/** Input sent but perhaps not received when the socket dropped: what a re-attach can send again. */
export const SENT_INPUT_KEPT_CHARS = 64 * 1024;

/** The tab's resume token; storage that is off keeps it for this page load only. */
export class ResumeToken {
  private token: string | null;

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null = safeSessionStorage()) {
    this.token = read(storage);
  }

  get(): string | null {
    return this.token;
  }

  set(token: string): void {
    this.token = token;
    try {
      this.storage?.setItem(TOKEN_KEY, token);
    } catch {
      /* storage full or off: this page load still has it */
    }
  }

  clear(): void {
    this.token = null;
    try {
      this.storage?.removeItem(TOKEN_KEY);
    } catch {
      /* nothing stored */
    }
  }
}

/**
 * The learner's keystrokes on their way to the shell: counted as sent (the server counts what it
 * received, and a re-attach sends again the difference), and queued while there is no connection.
 */
export class InputLedger {
  private sentChars = 0;
  private sentTail = '';
  private queued = '';
  private droppedChars = 0;

  /** A fresh session: nothing sent to it yet. */
  reset(): void {
    this.sentChars = 0;
    this.sentTail = '';
    this.queued = '';
    this.droppedChars = 0;
  }

  /** DATA went to the shell. */
  sent(data: string): void {
    this.sentChars += data.length;
    this.sentTail = (this.sentTail + data).slice(-SENT_INPUT_KEPT_CHARS);
  }

  /** DATA was typed with no connection: kept for the re-attach (up to OFFLINE_INPUT_MAX_CHARS). */
  queue(data: string): void {
    const room = OFFLINE_INPUT_MAX_CHARS - this.queued.length;
    this.queued += data.slice(0, Math.max(0, room));
    this.droppedChars += Math.max(0, data.length - room);
  }

  /**
   * Re-attached: the server received RECEIVED characters. Returns what to send now, in order (what
   * was lost on the way, then what was typed offline), and how much typed offline did not fit.
   */
  reattached(received: number): { resend: string; dropped: number } {
    const lost = this.sentChars - received;
    const again = lost > 0 && lost <= this.sentTail.length ? this.sentTail.slice(-lost) : '';
    // What the server has is now the count: whatever is sent from here on is counted from it.
    this.sentChars = received;
    const resend = again + this.queued;
    const dropped = this.droppedChars;
    this.queued = '';
    this.droppedChars = 0;
    return { resend, dropped };
  }

  /** The session is gone (a fresh shell starts): what was typed offline is not for it. */
  abandon(): number {
    const lost = this.queued.length + this.droppedChars;
    this.reset();
    return lost;
  }
}

function read(storage: Pick<Storage, 'getItem'> | null): string | null {
  try {
    return storage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    return null;
  }
}

function safeSessionStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
