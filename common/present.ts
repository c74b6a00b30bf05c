// The speaker's events (presenter mode, docs/demos.md): scripted demos, recordings of the session
// and the audience's read-only view. Part of ClientToServerEvents (common/protocol.ts).
import { z } from 'zod';
import { DemoId, type DemoSummary, type DemoView } from './demo.js';
import type { ContainerSpec } from './spec.js';
import type { AckFn } from './protocol.js';

export const DemoOpenRequest = z.object({ demoId: DemoId }).strict();
export type DemoOpenRequest = z.infer<typeof DemoOpenRequest>;
export const DemoResetRequest = z.object({ demoId: DemoId, step: z.number().int().nonnegative().max(99) }).strict();
export type DemoResetRequest = z.infer<typeof DemoResetRequest>;
export const DemoStepRequest = DemoResetRequest;
export type DemoStepRequest = DemoResetRequest;

/** `input`: record keystrokes too (off unless asked: a speaker may type a password). */
export const RecordStartRequest = z.object({ input: z.boolean().optional() }).strict();
export type RecordStartRequest = z.infer<typeof RecordStartRequest>;
export const RecordMarkerRequest = z.object({ label: z.string().trim().min(1).max(200) }).strict();
export type RecordMarkerRequest = z.infer<typeof RecordMarkerRequest>;

export interface RecordingStarted {
  /** The recording's bound: it stops (and says so) when it reaches it. */
  maxBytes: number;
  input: boolean;
}
export interface Recording {
  /** The asciicast v2 file. */
  cast: string;
  bytes: number;
  /** Why it stopped early, or null. */
  truncated: string | null;
}
/** Pushed while recording: its size, and once, that the bound was reached. */
export interface RecordingStatus {
  recording: boolean;
  bytes: number;
  truncated: string | null;
}

export interface ShareInfo {
  code: string;
  /** The path on the audience listener: /w/CODE. */
  path: string;
  /** Full links for the audience, one per address the listener answers on; empty when there is no audience listener. */
  urls: string[];
  /** Why there is no link the room can open, when there is none. */
  note?: string;
}

export interface PresentClientEvents {
  'demo:list': (ack: AckFn<DemoSummary[]>) => void;
  'demo:open': (req: DemoOpenRequest, ack: AckFn<DemoView>) => void;
  /** Reset to step N: a fresh shell with that step's settings, its setup run inside it. */
  'demo:reset': (req: DemoResetRequest, ack: AckFn<{ spec: ContainerSpec }>) => void;
  /** The speaker moved to step N (a marker in the recording). */
  'demo:step': (req: DemoStepRequest, ack: AckFn<null>) => void;
  'record:start': (req: RecordStartRequest, ack: AckFn<RecordingStarted>) => void;
  'record:marker': (req: RecordMarkerRequest, ack: AckFn<null>) => void;
  'record:stop': (ack: AckFn<Recording>) => void;
  'share:start': (ack: AckFn<ShareInfo>) => void;
  'share:stop': (ack: AckFn<null>) => void;
}

export interface PresentServerEvents {
  'record:status': (status: RecordingStatus) => void;
}
