// A valid payload of every client event (client-events.ts), for the tests that need one of
// each: the schema table's own test parses them, the transport fuzz mutates them. Undefined: the
// event carries none.
import type { ClientEvent } from './client-events.js';
import { TERMINAL_TARGETS } from './compare.js';
import type { ContainerSpec } from './spec.js';

/** LESSON_ID and SPEC: a lesson and settings the server under test knows. */
export function clientEventSamples(lessonId: string, spec: ContainerSpec): { readonly [E in ClientEvent]: unknown } {
  const target = TERMINAL_TARGETS[0];
  return {
    'session:start': { cols: 80, rows: 24 },
    'session:resume': { cols: 80, rows: 24, token: 'A'.repeat(43) },
    'term:input': 'echo sample\r',
    'term:resize': { cols: 90, rows: 30 },
    'term:ack': { bytes: 1 },
    'sandbox:toggle': { toggle: 'uts', on: true },
    'sandbox:limits': { pidsLimit: 64 },
    'lesson:open': { lessonId },
    'inspector:refresh': undefined,
    'export:get': undefined,
    'sandbox:apply': { spec },
    'seccomp:get': undefined,
    'seccomp:apply': { profile: { defaultAction: 'SCMP_ACT_ALLOW' } },
    'progress:predict': { lessonId, predictionId: 'first-look', choice: 0 },
    'compare:open': { refresh: false },
    'compare:close': undefined,
    'sideterm:open': { target, cols: 80, rows: 24 },
    'sideterm:input': { target, data: 'ls\r' },
    'sideterm:resize': { target, cols: 80, rows: 24 },
    'sideterm:ack': { target, bytes: 1 },
    'sideterm:close': { target },
    'diagnose:run': { command: 'mount -t tmpfs none /mnt' },
    'demo:list': undefined,
    'demo:open': { demoId: 'containers-are-processes' },
    'demo:reset': { demoId: 'containers-are-processes', step: 0 },
    'demo:step': { demoId: 'containers-are-processes', step: 1 },
    'record:start': { input: false },
    'record:marker': { label: 'step 2' },
    'record:stop': undefined,
    'share:start': undefined,
    'share:stop': undefined,
  };
}
