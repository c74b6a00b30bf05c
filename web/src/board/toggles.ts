// The toggle board: one switch per isolation primitive. What it shows is always the server's
// spec (from session:start, sandbox:toggle's ack, sandbox:ready) — never the click's optimistic
// guess — and each switch is labelled from those settings (describeToggle), so "Docker's 14
// capabilities: on" is never said of a shell that has one. While a change is in flight the whole
// board is held, because each change replaces the shell. The cgroup limits can also change live
// (limits-form.ts). In presenter mode each switch shows its Alt+letter key.
import type { Ack, LimitsRequest } from '../../../common/protocol.js';
import { TOGGLE_GROUPS, TOGGLES, describeToggle, isToggleOn, type ContainerSpec, type ToggleId } from '../../../common/spec.js';
import { h } from '../app/dom.js';
import { SWITCH_KEYS, switchShortcut } from '../present/switch-keys.js';
import { LimitsForm } from './limits-form.js';

export interface ToggleBoardDeps {
  request(toggle: ToggleId, on: boolean): Promise<Ack<{ spec: ContainerSpec }>>;
  /** Live cgroup limits for the running shell (sandbox:limits). */
  limits(request: LimitsRequest): Promise<Ack<{ spec: ContainerSpec }>>;
}

const LOCKED_TITLE = 'The workshop server keeps this on for everyone: it is shared, so a floor of isolation is enforced.';

interface Switch {
  item: HTMLElement;
  button: HTMLButtonElement;
  label: HTMLElement;
  state: HTMLElement;
  summary: HTMLElement;
  key: HTMLElement;
}

export class ToggleBoard {
  private readonly switches = new Map<ToggleId, Switch>();
  private readonly message: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly limitsForm: LimitsForm;
  private spec: ContainerSpec | null = null;
  private locked = new Set<string>();
  private holds = 0;
  private started = false;
  /** Bumped by reset(): a reply to a request from a dropped connection is ignored. */
  private generation = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly deps: ToggleBoardDeps,
  ) {
    this.limitsForm = new LimitsForm({ apply: (request) => deps.limits(request), applied: (spec) => this.setSpec(spec) });
    // A key combination as the legend shows it: Alt+PgDn, each key in its own <kbd>.
    const keys = (...names: string[]) => names.flatMap((name, i) => (i ? ['+', h('kbd', {}, name)] : [h('kbd', {}, name)]));
    this.legend = h(
      'p',
      { class: 'switch-legend', 'data-testid': 'switch-legend', hidden: true },
      ...keys('Alt'),
      ' + the letter beside a switch flips it · ',
      ...keys('Alt', 'PgDn'),
      ' / ',
      ...keys('PgUp'),
      ' next / previous step · ',
      ...keys('Alt', 'Enter'),
      ' runs it',
    );
    const sections: HTMLElement[] = [];
    for (const group of TOGGLE_GROUPS) {
      const headingId = `toggle-group-${group.title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
      const list = h('ul', { class: 'toggle-list', 'aria-labelledby': headingId });
      sections.push(h('section', { class: 'toggle-group' }, h('h3', { class: 'toggle-group-title', id: headingId }, group.title), list));
      for (const id of group.ids) this.addSwitch(list, id);
    }
    this.message = h('p', { class: 'toggle-message', role: 'status', 'data-testid': 'toggle-message' });
    root.append(this.legend, ...sections, this.message);
    this.render();
  }

  private addSwitch(list: HTMLElement, id: ToggleId): void {
    const state = h('span', { class: 'switch-state', 'aria-hidden': 'true' }, 'off');
    const label = h('span', { class: 'switch-label' });
    const key = h('kbd', { class: 'switch-key', 'aria-hidden': 'true', hidden: true }, SWITCH_KEYS[id]);
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
      label,
      key,
      state,
    );
    button.addEventListener('click', () => void this.flip(id));
    const summary = h('span', { class: 'toggle-summary-text' });
    const item = h('li', { class: 'toggle', 'data-toggle': id }, button, h('p', { class: 'toggle-summary', id: `toggle-${id}-summary` }, summary));
    if (id === 'limits') item.append(this.limitsForm.el);
    this.switches.set(id, { item, button, label, state, summary, key });
    list.append(item);
  }

  /** Session started: the board may be used. CEILINGS: a workshop server's, in words (the limits form says them). */
  start(spec: ContainerSpec, lockedOn: readonly string[], ceilings: readonly string[] = []): void {
    this.started = true;
    this.locked = new Set(lockedOn);
    this.limitsForm.setCeilings(ceilings);
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

  /** Presenter mode: large switches, each with its key, and the legend. */
  setPresenting(on: boolean): void {
    this.root.classList.toggle('is-presenting', on);
    this.legend.hidden = !on;
    for (const [id, { button, key }] of this.switches) {
      key.hidden = !on;
      if (on) button.setAttribute('aria-keyshortcuts', switchShortcut(id));
      else button.removeAttribute('aria-keyshortcuts');
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

  /** Flips a switch, as a click does (a presenter's key too); says why when it cannot now. */
  async flip(id: ToggleId): Promise<void> {
    if (!this.spec || !this.usable(id)) {
      // A click on a held switch shows why through aria-disabled; a presenter's key gets words.
      if (this.locked.has(id)) this.message.textContent = `${TOGGLES[id].label}: kept on by the workshop server.`;
      return;
    }
    const on = !isToggleOn(this.spec, id);
    const label = describeToggle(this.spec, id).label;
    // A presenter's key may flip a switch scrolled out of the board: the audience sees it move.
    this.switches.get(id)!.item.scrollIntoView({ block: 'nearest' });
    const generation = this.generation;
    const release = this.hold(`Turning ${label} ${on ? 'on' : 'off'}: starting a new shell…`);
    const reply = await this.deps.request(id, on);
    if (generation !== this.generation) return;
    release();
    if (reply.ok) {
      this.setSpec(reply.data.spec);
      this.message.textContent = '';
    } else {
      this.message.textContent = `${label} could not be turned ${on ? 'on' : 'off'}: ${reply.message}`;
    }
  }

  private usable(id: ToggleId): boolean {
    return this.started && this.holds === 0 && !this.locked.has(id);
  }

  private render(): void {
    const busy = this.started && this.holds > 0;
    this.switches.forEach(({ button, state, item, label, summary }, id) => {
      // While a change is in flight the switches keep showing the old shell's settings; the new
      // ones appear together with the reply, once the new shell and its inspector view are in.
      if (!busy && this.spec) {
        const on = isToggleOn(this.spec, id);
        const words = describeToggle(this.spec, id);
        button.setAttribute('aria-checked', String(on));
        button.dataset['state'] = on ? 'on' : 'off';
        state.textContent = on ? 'on' : 'off';
        label.textContent = words.label;
        summary.textContent = words.summary;
      } else if (!this.spec) {
        label.textContent = TOGGLES[id].label;
        summary.textContent = TOGGLES[id].summary;
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
    if (this.spec) this.limitsForm.setSpec(this.spec, this.started && !busy);
    this.root.setAttribute('aria-busy', String(busy));
  }
}
