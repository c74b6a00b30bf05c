// The speaker view (speaker.html, a second window) follows the presenter's window over a
// BroadcastChannel: same browser, same origin, nothing through the server or the network. The
// main window says where the demo is on every move; a speaker window that opens later asks.
import type { DemoStepView } from '../../../common/demo.js';

export const SPEAKER_CHANNEL = 'isolab-speaker';

export interface SpeakerState {
  demoTitle: string;
  /** 0-based, of `count`. */
  index: number;
  count: number;
  current: DemoStepView;
  next: DemoStepView | null;
}

export type SpeakerMessage =
  | { kind: 'hello' }
  /** null: no demo is open (a lesson is shown). */
  | { kind: 'state'; state: SpeakerState | null };

export function speakerState(demo: { title: string; steps: readonly DemoStepView[] }, index: number): SpeakerState {
  return { demoTitle: demo.title, index, count: demo.steps.length, current: demo.steps[index]!, next: demo.steps[index + 1] ?? null };
}
