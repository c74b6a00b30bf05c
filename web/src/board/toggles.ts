// The toggle board: one switch per isolation primitive. What it shows is always the server's
// spec (from session:start, sandbox:toggle's ack, sandbox:ready) — never the click's optimistic
// guess. While a change is in flight the whole board is held, because each change replaces the shell.
import type { Ack } from '../../../common/protocol.js';
import { TOGGLE_GROUPS, TOGGLES, isToggleOn, type ContainerSpec, type ToggleId } from '../../../common/spec.js';
import { h } from '../app/dom.js';

export interface ToggleBoardDeps {
  request(toggle: ToggleId, on: boolean): Promise<Ack<{ spec: ContainerSpec }>>;
}

const LOCKED_TITLE = 'The workshop server keeps this on for everyone: it is shared, so a floor of isolation is enforced.';

export class ToggleBoard {
  private readonly switches = new Map<ToggleId, { item: HTMLElement; button: HTMLButtonElement; state: HTMLElement }>();
  private readonly message: HTMLElement;
  private spec: ContainerSpec | null = null;
  private locked = new Set<string>();
  private holds = 0;
  private started = false;
  /** Bumped by reset(): a reply to a request from a dropped connection is ignored. */
  private generation = 0;

  constructor(
    root: HTMLElement,
    private readonly deps: ToggleBoardDeps,
  ) {
    const sections: HTMLElement[] = [];
    for (const group of TOGGLE_GROUPS) {
      const headingId = `toggle-group-${group.title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
      const list = h('ul', { class: 'toggle-list', 'aria-labelledby': headingId });
      sections.push(h('section', { class: 'toggle-group' }, h('h3', { class: 'toggle-group-title', id: headingId }, group.title), list));
      for (const id of group.ids) this.addSwitch(list, id);
    }
    this.message = h('p', { class: 'toggle-message', role: 'status' });
    root.append(...sections, this.message);
    this.render();
  }

  private addSwitch(list: HTMLElement, id: ToggleId): void {
    {
      const { label, summary } = TOGGLES[id];
      const state = h('span', { class: 'switch-state', 'aria-hidden': 'true' }, 'off');
      const button = h(
        'button',
        {
          type: 'button',
          role: 'switch',
          id: `toggle-${id}`,
          class: 'switch',
          'aria-checked': 'false',
          'aria-describedby': `toggle-${id}-summary`,
          'data-testid': `toggle-${id}`,
          'data-state': 'off',
        },
        h('span', { class: 'switch-track', 'aria-hidden': 'true' }, h('span', { class: 'switch-thumb' })),
        h('span', { class: 'switch-label' }, label),
        state,
      );
      button.addEventListener('click', () => void this.flip(id));
      const item = h(
        'li',
        { class: 'toggle' },
        button,
        h('p', { class: 'toggle-summary', id: `toggle-${id}-summary` }, summary),
      );
      this.switches.set(id, { item, button, state });
      list.append(item);
    }
  }

  /** Session started: the board may be used. */
  start(spec: ContainerSpec, lockedOn: readonly string[]): void {
    this.started = true;
    this.locked = new Set(lockedOn);
    this.setSpec(spec);
  }

  /** Connection lost: nothing in flight will be answered, and nothing may be clicked. */
  reset(): void {
    this.generation++;
    this.started = false;
    this.holds = 0;
    this.render();
  }

  setSpec(spec: ContainerSpec): void {
    this.spec = spec;
    this.render();
  }

  /** Marks the switch the open lesson is about (a toggle id; anything else marks none). */
  setPrimitive(primitive: string | null): void {
    for (const [id, { item }] of this.switches) {
      item.classList.toggle('is-lesson-primitive', id === primitive);
      item.querySelector('.lesson-badge')?.remove();
      if (id === primitive) item.querySelector('.toggle-summary')?.append(h('span', { class: 'lesson-badge' }, 'this lesson'));
    }
  }

  /** Holds the board while something else replaces the shell (opening a lesson); call the result to release. */
  hold(message = 'Starting a new shell…'): () => void {
    const generation = this.generation;
    this.holds++;
    this.message.textContent = message;
    this.render();
    let released = false;
    return () => {
      if (released || generation !== this.generation) return;
      released = true;
      this.holds--;
      if (this.holds === 0 && this.message.textContent === message) this.message.textContent = '';
      this.render();
    };
  }

  private async flip(id: ToggleId): Promise<void> {
    if (!this.spec || !this.usable(id)) return;
    const on = !isToggleOn(this.spec, id);
    const generation = this.generation;
    const release = this.hold(`Turning ${TOGGLES[id].label} ${on ? 'on' : 'off'}: starting a new shell…`);
    const reply = await this.deps.request(id, on);
    if (generation !== this.generation) return;
    release();
    if (reply.ok) {
      this.setSpec(reply.data.spec);
      this.message.textContent = '';
    } else {
      this.message.textContent = `${TOGGLES[id].label} could not be turned ${on ? 'on' : 'off'}: ${reply.message}`;
    }
  }

  private usable(id: ToggleId): boolean {
    return this.started && this.holds === 0 && !this.locked.has(id);
  }

  private render(): void {
    const busy = this.started && this.holds > 0;
    this.switches.forEach(({ button, state, item }, id) => {
      // While a change is in flight the switches keep showing the old shell's settings; the new
      // ones appear together with the reply, once the new shell and its inspector view are in.
      if (!busy) {
        const on = this.spec ? isToggleOn(this.spec, id) : false;
        button.setAttribute('aria-checked', String(on));
        button.dataset['state'] = on ? 'on' : 'off';
        state.textContent = on ? 'on' : 'off';
      }
      const locked = this.locked.has(id);
      // aria-disabled, not disabled: the switch keeps focus while the board is busy and its title stays readable.
      button.setAttribute('aria-disabled', String(!this.usable(id)));
      item.classList.toggle('is-locked', locked);
      if (locked) button.title = LOCKED_TITLE;
      else button.removeAttribute('title');
      const lockNote = item.querySelector('.lock-note');
      if (locked && !lockNote) item.append(h('p', { class: 'lock-note' }, 'Kept on by the workshop server'));
      if (!locked) lockNote?.remove();
    });
    const board = this.message.parentElement;
    if (board) board.setAttribute('aria-busy', String(busy));
  }
}
