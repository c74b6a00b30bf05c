// A scripted demo in presenter mode (docs/demos.md): a picker (demo:list, or ?demo=ID), the demo's
// steps as the step panel's source, and the driver that types them. Each Run types the step's
// next command, container commands into the container's shell and hostCommands into the host
// terminal beside it, at a person's pace (typing.ts); once the step has nothing left, Run goes on.
// Moving to a step is a chapter in the recording (demo:step); going forward onto a step that
// changes the settings, or pressing "Reset to this step", starts a fresh shell with the step's
// settings and setup (demo:reset). "Play the rehearsal" is Plan B: the step's part of the last
// recording, in place of the live shell.
import type { DemoSummary, DemoView } from '../../../common/demo.js';
import { h } from '../app/dom.js';
import * as api from '../app/socket.js';
import type { LabSocket } from '../app/socket.js';
import type { HostTerminal } from './host-terminal.js';
import { loadRecording } from './rehearsal-store.js';
import { stepSegment } from './rehearsal.js';
import { SPEAKER_CHANNEL, speakerState, type SpeakerMessage } from './speaker-channel.js';
import type { StepPanel } from './step-panel.js';
import type { ScriptLine, StepSource } from './steps.js';
import { typeCommand } from './typing.js';

export interface DemoControlsDeps {
  socket: LabSocket;
  steps: StepPanel;
  host: HostTerminal;
  /** Keys for the container's shell (brought to the front first). */
  typeIntoContainer(data: string): void;
  showContainerShell(): Promise<void>;
  /** Back to the open lesson as the step panel's source. */
  showLesson(): void;
  replay(cast: string, title: string): void;
  /** Something the speaker must see (a refused reset). */
  warn(message: string): void;
}

const LESSON_CHOICE = '';

export class DemoControls {
  /** The picker and the demo's buttons, for the step panel's slot. */
  readonly root: HTMLElement;
  private readonly picker: HTMLSelectElement;
  private readonly resetButton: HTMLButtonElement;
  private readonly planB: HTMLButtonElement;
  private readonly speakerButton: HTMLButtonElement;
  private readonly channel: BroadcastChannel | null;
  private demo: DemoView | null = null;
  /** Per step, how many of its commands are typed. */
  private typed: number[] = [];
  private typing = false;
  /** The shell has the settings of this step (after a reset to it). */
  private shellStep = -1;
  private rehearsal: string | null = null;

  constructor(private readonly deps: DemoControlsDeps) {
    this.picker = h('select', { class: 'demo-picker', 'aria-label': 'Scripted demo', 'data-testid': 'demo-picker' }, h('option', { value: LESSON_CHOICE }, 'The lesson (no demo)'));
    this.picker.addEventListener('change', () => void this.choose(this.picker.value));
    this.resetButton = h('button', { type: 'button', class: 'step-button', 'data-testid': 'demo-reset', hidden: true, title: 'A fresh shell with this step’s settings, its setup run inside' }, '⟲ Reset to this step');
    this.resetButton.addEventListener('click', () => void this.reset(this.deps.steps.index));
    this.planB = h('button', { type: 'button', class: 'step-button', 'data-testid': 'demo-plan-b', hidden: true, title: 'Plan B: this step’s part of the last recording, in place of the live shell' }, '▶ Play the rehearsal');
    this.planB.addEventListener('click', () => this.playRehearsal());
    this.speakerButton = h('button', { type: 'button', class: 'step-button', 'data-testid': 'speaker-open', title: 'The notes and the next step, in a second window' }, 'Speaker view');
    this.speakerButton.addEventListener('click', () => window.open('speaker.html', 'isolab-speaker', 'popup,width=900,height=700'));
    this.root = h('span', { class: 'demo-controls' }, this.picker, this.resetButton, this.planB, this.speakerButton);
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(SPEAKER_CHANNEL) : null;
    this.channel?.addEventListener('message', (ev: MessageEvent<SpeakerMessage>) => {
      if (ev.data?.kind === 'hello') this.tellSpeaker();
    });
  }

  /** The open demo's id, or '' when the lesson is shown. */
  get demoId(): string {
    return this.demo?.id ?? '';
  }

  get title(): string {
    return this.demo?.title ?? '';
  }

  /** Fills the picker; opens WANTED (?demo=ID) when given. */
  async load(wanted: string | undefined): Promise<void> {
    const reply = await api.listDemos(this.deps.socket);
    if (!reply.ok) return;
    const have = new Set(Array.from(this.picker.options, (o) => o.value));
    for (const d of reply.data) if (!have.has(d.id)) this.picker.append(h('option', { value: d.id }, label(d)));
    if (wanted && wanted !== this.demoId) {
      if (!reply.data.some((d) => d.id === wanted)) return this.deps.warn(`There is no demo "${wanted}".`);
      this.picker.value = wanted;
      await this.choose(wanted);
    }
  }

  /** A recording was kept for KEY (a demo's id): Plan B can use it. */
  rehearsalSaved(key: string, cast: string): void {
    if (key === this.demoId) this.rehearsal = cast;
    this.render();
  }

  private async choose(id: string): Promise<void> {
    if (id === LESSON_CHOICE) {
      this.demo = null;
      this.rehearsal = null;
      this.deps.showLesson();
      this.render();
      this.tellSpeaker();
      return;
    }
    const reply = await api.openDemo(this.deps.socket, id);
    if (!reply.ok) return this.deps.warn(`Could not open the demo: ${reply.message}`);
    this.demo = reply.data;
    this.typed = reply.data.steps.map(() => 0);
    this.shellStep = -1;
    this.rehearsal = (await loadRecording(id))?.cast ?? null;
    if (reply.data.steps.some((s) => s.hostCommands.length)) await this.deps.host.show(true);
    this.publish();
    // A clean start: the first step's settings, whatever the shell had before.
    await this.reset(0);
  }

  /** The demo as the step panel's source, with the typed counts as they are now. */
  private publish(): void {
    const demo = this.demo;
    if (!demo) return;
    const source: StepSource = {
      id: `demo:${demo.id}`,
      title: demo.title,
      task: '',
      steps: demo.steps.map((s, i) => {
        const lines = this.linesOf(i);
        return {
          heading: s.title,
          intro: s.changes.join(' · '),
          command: { command: lines[this.typed[i]!]?.text ?? '', interrupt: false },
          script: { lines, typed: this.typed[i]! },
        };
      }),
      driver: { run: (i) => this.run(i), moved: (i) => this.moved(i) },
    };
    this.deps.steps.setSource(source);
  }

  private linesOf(index: number): ScriptLine[] {
    const s = this.demo!.steps[index]!;
    const host = this.deps.host.isOpen ? s.hostCommands.map((text): ScriptLine => ({ text, shell: 'host' })) : [];
    return [...s.commands.map((text): ScriptLine => ({ text, shell: 'container' })), ...host];
  }

  private run(index: number): 'more' | 'done' {
    if (this.typing) return 'more'; // one command at a time: a second press while typing waits for nothing
    const line = this.linesOf(index)[this.typed[index]!];
    if (!line) return 'done';
    this.typed[index]!++;
    this.typing = true;
    void (async () => {
      try {
        if (line.shell === 'host') await typeCommand(line.text, (d) => this.deps.host.send(d));
        else {
          await this.deps.showContainerShell();
          await typeCommand(line.text, (d) => this.deps.typeIntoContainer(d));
        }
      } finally {
        this.typing = false;
      }
    })();
    this.publish();
    return 'more';
  }

  private moved(index: number): void {
    this.render();
    this.tellSpeaker();
    const demo = this.demo;
    if (!demo) return;
    const step = demo.steps[index]!;
    // Forward onto a step that changes the settings: its shell, as a toggle would start one (the reset's banner is the chapter).
    if (index > this.shellStep && step.changes.length && this.shellStep >= 0) return void this.reset(index);
    void api.demoStep(this.deps.socket, demo.id, index);
  }

  private async reset(index: number): Promise<void> {
    const demo = this.demo;
    if (!demo) return;
    this.resetButton.setAttribute('aria-busy', 'true');
    const reply = await api.resetDemo(this.deps.socket, demo.id, index);
    this.resetButton.removeAttribute('aria-busy');
    if (!reply.ok) return this.deps.warn(`Could not reset to step ${index + 1}: ${reply.message}`);
    this.shellStep = index;
    this.typed[index] = 0;
    if (this.deps.steps.index !== index) this.deps.steps.goTo(index);
    this.publish();
  }

  private playRehearsal(): void {
    const demo = this.demo;
    if (!demo || !this.rehearsal) return;
    const index = this.deps.steps.index;
    const segment = stepSegment(this.rehearsal, index);
    if (!segment) return this.deps.warn(`The last recording has no part for step ${index + 1}.`);
    this.deps.replay(segment.cast, `Rehearsal · Step ${index + 1}: ${demo.steps[index]!.title}`);
  }

  private render(): void {
    const on = this.demo !== null;
    this.resetButton.hidden = !on;
    this.planB.hidden = !(on && this.rehearsal && stepSegment(this.rehearsal, this.deps.steps.index));
  }

  private tellSpeaker(): void {
    const state = this.demo ? speakerState(this.demo, this.deps.steps.index) : null;
    this.channel?.postMessage({ kind: 'state', state } satisfies SpeakerMessage);
  }
}

const label = (d: DemoSummary) => `${d.title} (${d.steps} steps, ~${d.minutes} min)`;
