// A scripted demo's commands are typed, not pasted (the demo-magic way): one character at a time at
// a person's pace, so the room can read along, then Enter. The speaker's own keys go straight to
// the shell in between; nothing here holds them back.

/** The pause before each character: quick enough not to bore, slow enough to follow. */
export const TYPE_MIN_MS = 25;
export const TYPE_MAX_MS = 45;
/** A beat before Enter, as a person looks at the line before running it. */
export const ENTER_PAUSE_MS = 120;

export interface TypedKey {
  /** Milliseconds to wait before sending it. */
  delayMs: number;
  data: string;
}

/** The keys that type COMMAND and run it: each character (a code point, so "µ" is one) after its pause, then Enter. */
export function typingSchedule(command: string, random: () => number = Math.random): TypedKey[] {
  const keys = Array.from(command, (data) => ({ delayMs: Math.round(TYPE_MIN_MS + random() * (TYPE_MAX_MS - TYPE_MIN_MS)), data }));
  keys.push({ delayMs: ENTER_PAUSE_MS, data: '\r' });
  return keys;
}

export interface TypeOptions {
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Types COMMAND through SEND at the schedule's pace; resolves once Enter is sent. */
export async function typeCommand(command: string, send: (data: string) => void, opts: TypeOptions = {}): Promise<void> {
  const sleep = opts.sleep ?? pause;
  for (const key of typingSchedule(command, opts.random)) {
    await sleep(key.delayMs);
    send(key.data);
  }
}
