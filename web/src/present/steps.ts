// What presenter mode shows of a lesson: one step at a time — a command, the heading it sits under
// and the sentence before it — with next and previous. A StepSource is anything that has steps:
// today the open lesson's command blocks; a scripted demo can be another source.
import type { CommandBlock } from '../lesson/lesson-model.js';

export interface Step {
  command: CommandBlock;
  /** The heading the command sits under ("Rename the container"); '' before the first heading. */
  heading: string;
  /** The paragraph before the command, shortened. */
  intro: string;
  /** A scripted demo's step: every command it types, one per Run, and how many are typed already. */
  script?: { lines: readonly ScriptLine[]; typed: number };
}

/** One command of a demo step, and which shell it is typed into. */
export interface ScriptLine {
  text: string;
  shell: 'container' | 'host';
}

/** Who runs a source's steps, when not the panel itself (a lesson's command is typed whole by the page). */
export interface StepDriver {
  /** Run on step INDEX: 'more' while the step has commands left (the panel stays), 'done' to move on. */
  run(index: number): 'more' | 'done';
  /** The panel now shows step INDEX (a chapter in the recording, the speaker view follows). */
  moved(index: number): void;
}

export interface StepSource {
  /** What the steps belong to ("Lesson 1 · UTS namespace"), and an id: a new id starts at step 1. */
  id: string;
  title: string;
  steps: readonly Step[];
  /** The task at hand, when the source has one (a lesson's first check that does not pass). */
  task: string;
  driver?: StepDriver;
}

/** The intro is a reminder, not the lesson: a projector has room for a sentence or two. */
export const MAX_INTRO_CHARS = 220;

export function shorten(text: string, max = MAX_INTRO_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[,;:.]$/, '')}…`;
}

/** Which step is shown: kept across updates of the same source, back to the first for a new one. */
export class StepCursor {
  private sourceId: string | null = null;
  private at = 0;
  private count = 0;

  /** A new or updated source; returns the index to show. */
  follow(source: StepSource): number {
    if (source.id !== this.sourceId) this.at = 0;
    this.sourceId = source.id;
    this.count = source.steps.length;
    this.at = Math.min(this.at, Math.max(0, this.count - 1));
    return this.at;
  }

  move(delta: -1 | 1): number {
    this.at = Math.min(Math.max(0, this.at + delta), Math.max(0, this.count - 1));
    return this.at;
  }

  get index(): number {
    return this.at;
  }

  get atStart(): boolean {
    return this.at === 0;
  }

  get atEnd(): boolean {
    return this.at >= this.count - 1;
  }

  /** "Step 2 of 7". */
  label(): string {
    return this.count ? `Step ${this.at + 1} of ${this.count}` : 'No commands in this lesson';
  }
}
