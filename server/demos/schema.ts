// A demo file (demos/ID.yaml; docs/demos.md is the reference for speakers): steps, each a change to
// the previous step's settings, the commands to type, and notes for the speaker.
import { z } from 'zod';
import { MAX_INPUT_BYTES } from '../../common/protocol.js';
import { SettingsChange } from '../lessons/schema.js';

const Text = z.string().trim().min(1, 'must not be empty');
const Slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'expected a slug like "host-view" (a-z, 0-9, "-")');

/** One line typed into a shell: printable, no newline (the Enter is the key press that runs it). */
export const DemoCommand = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(1024, 'a command to type is at most 1024 characters')
  .refine((c) => !/[\u0000-\u001f\u007f]/.test(c), 'one line of printable text: no newline, tab or control character')
  .refine((c) => Buffer.byteLength(c) < MAX_INPUT_BYTES, 'too long for one term:input message');

export const DemoStep = z
  .object({
    id: Slug,
    title: Text,
    notes: z.string().default(''),
    settings: SettingsChange.default({}),
    /** A shell script run inside the step's container when the speaker resets to this step (not typed, not shown). */
    setup: z.string().trim().min(1, 'must not be empty').max(4096).optional(),
    commands: z.array(DemoCommand).default([]),
    hostCommands: z.array(DemoCommand).default([]),
  })
  .strict();
export type DemoStep = z.infer<typeof DemoStep>;

export const DemoFile = z
  .object({
    title: Text,
    summary: Text,
    /** About how long the talk takes, for the speaker's plan. */
    minutes: z.number().int().positive().max(240),
    steps: z.array(DemoStep).min(1, 'a demo has at least one step').max(100),
  })
  .strict()
  .superRefine((demo, ctx) => {
    const seen = new Set<string>();
    demo.steps.forEach((step, i) => {
      if (seen.has(step.id)) ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `"${step.id}" is the id of an earlier step` });
      seen.add(step.id);
    });
  });
export type DemoFile = z.infer<typeof DemoFile>;
