// Scripted demos (docs/demos.md): a speaker's talk as steps, each with the settings its shell runs
// with and the commands typed into it on a key press. What the server sends the page.
import { z } from 'zod';
import { ContainerSpec } from './spec.js';

export const DEMO_ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const DemoId = z.string().regex(DEMO_ID_RE, 'expected a slug like "containers-are-processes"').max(64);

export const DemoStepView = z.object({
  /** 0-based position. */
  index: z.number().int().nonnegative(),
  id: z.string(),
  title: z.string(),
  /** Speaker notes, rendered from markdown (the speaker view shows them; the audience never does). */
  notesHtml: z.string(),
  /** The settings the step's shell runs with (every step's are resolved in full). */
  settings: ContainerSpec,
  /** What changed from the step before, in the toggle board's words ("PID namespace on"). */
  changes: z.array(z.string()),
  /** Typed into the container's shell, one per key press, at a natural speed. */
  commands: z.array(z.string()),
  /** Typed into the host terminal beside it (solo mode), for the audience to compare. */
  hostCommands: z.array(z.string()),
  /** Whether resetting to this step runs a setup script inside its container first. */
  hasSetup: z.boolean(),
});
export type DemoStepView = z.infer<typeof DemoStepView>;

export const DemoView = z.object({
  id: DemoId,
  title: z.string(),
  summary: z.string(),
  minutes: z.number().int().positive(),
  steps: z.array(DemoStepView).min(1),
});
export type DemoView = z.infer<typeof DemoView>;

export const DemoSummary = DemoView.pick({ id: true, title: true, summary: true, minutes: true }).extend({ steps: z.number().int().positive() });
export type DemoSummary = z.infer<typeof DemoSummary>;
