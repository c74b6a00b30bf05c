// Walking a real shell the way a person at the keyboard would: the output collected as text (flow
// control acknowledged, cursor queries answered), a line typed, and the prompt waited for. Used by
// `isolab lessons verify` and `isolab demos verify`.
import type { Session } from '../session/session.js';

/** Device Status Report 6, which busybox ash sends after each prompt and waits on: a terminal answers with the cursor position. */
const CURSOR_POSITION_QUERY = '\x1b[6n';
const CURSOR_POSITION_REPLY = '\x1b[1;1R';
/**
 * The prompt both shells get (PS1 '\u@\h:\w\$ ', set by the server and by the image's profile), at
 * the start of a line. Not only at the end of the output: a background job may print after it.
 */
const PROMPT_RE = /(?:^|\n)[\w.-]+@[\w.-]+:[^\n]*[#$] /;
/** How long a shell may take to print its first prompt, or to come back to it after a solution line. */
const PROMPT_TIMEOUT_MS = 10_000;

/** A failure of the walk itself (no prompt, a line that never returns), with what to report. */
export class WalkError extends Error {}

/** The learner's side of the pty: collects the output as text, acknowledges it (flow control), answers cursor queries. */
export class Terminal {
  private text = '';
  private session: Session | undefined;
  private readonly decoder = new TextDecoder();

  attach(session: Session): void {
    this.session = session;
  }

  get length(): number {
    return this.text.length;
  }

  write(frame: Buffer): void {
    const chunk = this.decoder.decode(frame, { stream: true });
    if (chunk.includes(CURSOR_POSITION_QUERY)) this.session?.input(CURSOR_POSITION_REPLY);
    this.text += chunk;
    this.session?.ack(frame.length);
  }

  /** The output since `from` (escape sequences and carriage returns removed) shows a prompt: the first one, or the next after the typed line. */
  async waitForPrompt(from: number, what: string): Promise<void> {
    const ok = await waitUntil(() => {
      const shown = plain(this.text.slice(from));
      // After a typed line, the echo of the line itself comes first: the prompt is on a later line.
      return PROMPT_RE.test(from === 0 ? shown : shown.slice(shown.indexOf('\n') + 1 || shown.length)) ? true : undefined;
    }, PROMPT_TIMEOUT_MS);
    if (!ok) throw new WalkError(`${what} within ${PROMPT_TIMEOUT_MS / 1000} s`);
  }

  /** What the shell printed since `from`, as plain text. */
  textSince(from: number): string {
    return plain(this.text.slice(from));
  }

  tail(chars: number): string {
    return plain(this.text).slice(-chars);
  }
}

/** Terminal text without ANSI escape sequences or carriage returns. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\r/g, '');
}

/** Poll `get` until it returns something other than undefined (null counts as an answer), or the time is up (undefined). */
export async function waitUntil<T>(get: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

