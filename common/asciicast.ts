// asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), the format Debian's asciinema 2.2
// plays: a JSON header line, then one JSON array per event, [seconds, code, data]. Codes: "o"
// output, "i" input, "r" resize ("COLSxROWS"), "m" marker (a chapter in asciinema-player).
// The format and its reader, shared: the server writes it (server/base/asciicast.ts), `isolab
// play` and the page read it.
import { z } from 'zod';

export const AsciicastHeader = z.object({
  version: z.literal(2),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  timestamp: z.number().int().nonnegative().optional(),
  title: z.string().optional(),
  env: z.record(z.string(), z.string()).optional(),
});
export type AsciicastHeader = z.infer<typeof AsciicastHeader>;

export const AsciicastEvent = z.tuple([z.number().nonnegative(), z.enum(['o', 'i', 'r', 'm']), z.string()]);
export type AsciicastEvent = z.infer<typeof AsciicastEvent>;

/** A .cast file read back: its header and events, or an error naming the first bad line. */
export function parseAsciicast(text: string): { ok: true; header: AsciicastHeader; events: AsciicastEvent[] } | { ok: false; error: string } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (!lines.length) return { ok: false, error: 'the file is empty' };
  const parse = (line: string, n: number) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      throw new Error(`line ${n}: not JSON`);
    }
  };
  try {
    const header = AsciicastHeader.safeParse(parse(lines[0]!, 1));
    if (!header.success) return { ok: false, error: `line 1: not an asciicast v2 header (${header.error.issues[0]?.message ?? 'bad shape'})` };
    const events: AsciicastEvent[] = [];
    for (let i = 1; i < lines.length; i++) {
      const event = AsciicastEvent.safeParse(parse(lines[i]!, i + 1));
      if (!event.success) return { ok: false, error: `line ${i + 1}: not an event [seconds, "o"|"i"|"r"|"m", text]` };
      events.push(event.data);
    }
    return { ok: true, header: header.data, events };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
