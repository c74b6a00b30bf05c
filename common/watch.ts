// The audience's read-only view of a presenter's terminal (server/transport/audience.ts): a short
// code names what is shared; the page at /w/CODE connects to the /watch namespace with it.
import { z } from 'zod';

/** Codes people type from a slide: no 0/O, 1/I/L, and upper case only. */
export const WATCH_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const WATCH_CODE_LENGTH = 6;
export const WatchCode = z
  .string()
  .length(WATCH_CODE_LENGTH)
  .regex(new RegExp(`^[${WATCH_CODE_ALPHABET}]+$`), 'not a watch code');

export const WatchAuth = z.object({ code: WatchCode });
/**
 * How a viewer acknowledges: far less often than the speaker's own page, since a room of 200 acking
 * every keystroke is 200 messages per key for the server. The server skips a viewer only past
 * 256 KiB unacknowledged, so 64 KiB or a quarter second of quiet is still early enough.
 */
export const WATCH_ACK = { everyBytes: 64 * 1024, idleMs: 250 } as const;
/** The viewer has written this many more bytes of output (its flow control, never the presenter's). */
export const WatchAck = z.object({ bytes: z.number().int().positive().max(16 * 1024 * 1024) });

export interface WatchScreen {
  cols: number;
  rows: number;
  /** The whole screen, serialized: write it into a reset terminal. */
  data: string;
}

export interface WatchServerEvents {
  'watch:screen': (screen: WatchScreen) => void;
  'watch:output': (data: ArrayBuffer | Uint8Array) => void;
  'watch:ended': (why: { message: string }) => void;
}

export interface WatchClientEvents {
  'watch:ack': (ack: z.infer<typeof WatchAck>) => void;
}
