// The speaker view (speaker.html): a second window beside the presenter's, on the laptop's own
// screen. It follows the presenter's window over a BroadcastChannel (present/speaker-channel.ts):
// the step's notes, its commands, and the next step. It talks to no server and fetches nothing.
import './speaker.css';
import type { DemoStepView } from '../../../common/demo.js';
import { byId, h } from '../app/dom.js';
import { SPEAKER_CHANNEL, type SpeakerMessage, type SpeakerState } from '../present/speaker-channel.js';

const where = byId('speaker-where');
const title = byId('speaker-title');
const notes = byId('speaker-notes');
const commands = byId('speaker-commands');
const next = byId('speaker-next');
const nextCommands = byId('speaker-next-commands');

function commandList(step: DemoStepView): HTMLElement {
  const lines = [...step.commands.map((c) => `$ ${c}`), ...step.hostCommands.map((c) => `host$ ${c}`)];
  return lines.length ? h('pre', { class: 'speaker-commands' }, lines.join('\n')) : h('p', { class: 'speaker-muted' }, 'No commands: talk.');
}

function show(state: SpeakerState | null): void {
  if (!state) {
    where.textContent = 'No demo is open in the presenter’s window (choose one in its step panel).';
    title.textContent = '';
    notes.replaceChildren();
    commands.replaceChildren();
    next.textContent = '';
    nextCommands.replaceChildren();
    return;
  }
  const { current } = state;
  where.textContent = `${state.demoTitle} · Step ${state.index + 1} of ${state.count}`;
  title.textContent = current.title;
  // The demo's notes, rendered from its markdown by the server that loaded the speaker's own demo files.
  notes.innerHTML = current.notesHtml || '<p class="speaker-muted">No notes for this step.</p>';
  commands.replaceChildren(...(current.changes.length ? [h('p', { class: 'speaker-changes' }, `Changes: ${current.changes.join(' · ')}`)] : []), commandList(current));
  next.textContent = state.next ? `Step ${state.index + 2}: ${state.next.title}` : 'The end of the demo.';
  nextCommands.replaceChildren(...(state.next ? [commandList(state.next)] : []));
}

const channel = new BroadcastChannel(SPEAKER_CHANNEL);
channel.addEventListener('message', (ev: MessageEvent<SpeakerMessage>) => {
  if (ev.data?.kind === 'state') show(ev.data.state);
});
// The presenter's window may have been open for a while: ask where it is.
channel.postMessage({ kind: 'hello' } satisfies SpeakerMessage);
