// The event table is checked twice: by the compiler, since tsc -b type-checks this file (every
// expected error below must stay an error, or the build fails), and at run time (each schema
// accepts its event's payload and refuses another event's).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CLIENT_EVENT_SCHEMAS, type ClientEventSchemas, type SchemasMatchPayloads } from './client-events.js';
import { SideResize, SideTargetSchema, TermInput, TermSize } from './protocol.js';
import { PLAIN_PROCESS } from './spec.js';
import { clientEventSamples } from './client-event-samples.js';

describe('the client event table, at compile time', () => {
  it('refuses a schema of another event', () => {
    // @ts-expect-error sideterm:input's payload is { target, data }, not SideResize's { target, cols, rows }
    const wrong = { ...CLIENT_EVENT_SCHEMAS, 'sideterm:input': SideResize } satisfies ClientEventSchemas;
    expect(wrong['sideterm:input'].safeParse({ target: 'vm', data: 'ls\r' }).success).toBe(false);
  });

  it('refuses a schema that is merely assignable to the payload, not exactly it', () => {
    const widened = { ...CLIENT_EVENT_SCHEMAS, 'sideterm:open': TermSize.extend({ target: SideTargetSchema, shell: z.string().optional() }).strict() } satisfies ClientEventSchemas;
    // @ts-expect-error the extra optional field makes its parsed type differ from SideOpenRequest
    const matches: SchemasMatchPayloads<typeof widened> = true;
    expect(matches).toBe(true);
  });

  it('refuses a table that leaves an event out or names one that does not exist', () => {
    const { 'diagnose:run': _left, ...missing } = CLIENT_EVENT_SCHEMAS;
    // @ts-expect-error diagnose:run has no schema
    void (missing satisfies ClientEventSchemas);
    // @ts-expect-error there is no term:paste event
    void ({ ...CLIENT_EVENT_SCHEMAS, 'term:paste': TermInput } satisfies ClientEventSchemas);
    expect(_left).toBeDefined();
  });
});

describe('the client event table, at run time', () => {
  const sample = clientEventSamples('01-uts-namespace', PLAIN_PROCESS);

  it.each(Object.entries(CLIENT_EVENT_SCHEMAS).filter(([, s]) => s))('%s parses its payload', (event, schema) => {
    expect(schema!.safeParse(sample[event as keyof typeof sample]).success).toBe(true);
  });

  it('events that carry nothing have no schema', () => {
    const none = Object.entries(CLIENT_EVENT_SCHEMAS).filter(([, s]) => s === null).map(([e]) => e);
    expect(none.sort()).toEqual(['compare:close', 'demo:list', 'export:get', 'inspector:refresh', 'record:stop', 'seccomp:get', 'share:start', 'share:stop']);
  });

  it("sideterm:input refuses sideterm:resize's payload", () => {
    expect(CLIENT_EVENT_SCHEMAS['sideterm:input'].safeParse(sample['sideterm:resize']).success).toBe(false);
  });
});
