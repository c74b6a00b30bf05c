// Live cgroup limits under the "cgroup limits" switch: memory, CPU and processes of the running
// shell, changed without a new shell (sandbox:limits, as `docker update` does). Shown while the
// shell has a cgroup of its own; what the fields mean and how they are checked is limits-model.ts.
import type { Ack, LimitsRequest } from '../../../common/protocol.js';
import type { ContainerSpec } from '../../../common/spec.js';
import { h } from '../app/dom.js';
import { fieldsOf, limitsChange, type LimitField, type LimitFields } from './limits-model.js';

export interface LimitsFormDeps {
  apply(request: LimitsRequest): Promise<Ack<{ spec: ContainerSpec }>>;
  /** The settings the server answered with (the board shows them). */
  applied(spec: ContainerSpec): void;
}

const FIELDS: { field: LimitField; label: string; unit: string; step: string }[] = [
  { field: 'memoryMiB', label: 'Memory', unit: 'MiB', step: '1' },
  { field: 'cpus', label: 'CPU', unit: 'CPUs', step: '0.05' },
  { field: 'pids', label: 'Processes', unit: 'at most', step: '1' },
];

const NO_CEILINGS = 'Live, without a new shell (as docker update). Empty: no limit.';

export class LimitsForm {
  readonly el: HTMLFormElement;
  private readonly inputs = new Map<LimitField, HTMLInputElement>();
  private readonly submit: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly intro: HTMLElement;
  private spec: ContainerSpec | null = null;
  private busy = false;
  private usable = false;
  /** The learner typed since the fields were last filled. */
  private dirty = false;

  constructor(private readonly deps: LimitsFormDeps) {
    this.submit = h('button', { type: 'submit', class: 'limits-apply', 'data-testid': 'limits-apply' }, 'Apply to the running shell');
    this.status = h('p', { class: 'limits-status', role: 'status', 'data-testid': 'limits-status' });
    this.intro = h('p', { class: 'limits-intro', 'data-testid': 'limits-intro' }, NO_CEILINGS);
    const rows = FIELDS.map(({ field, label, unit, step }) => {
      const id = `limit-${field}`;
      const input = h('input', { id, type: 'number', min: '0', step, inputmode: 'decimal', class: 'limits-input', 'data-testid': id, 'aria-describedby': `${id}-unit` });
      input.addEventListener('input', () => {
        this.dirty = true;
        this.markInvalid(null);
      });
      this.inputs.set(field, input);
      return h('div', { class: 'limits-row' }, h('label', { for: id }, label), input, h('span', { class: 'limits-unit', id: `${id}-unit` }, unit));
    });
    this.el = h(
      'form',
      { class: 'limits-form', 'data-testid': 'limits-form', 'aria-label': 'Live cgroup limits' },
      this.intro,
      ...rows,
      h('div', { class: 'limits-actions' }, this.submit),
      this.status,
    );
    this.el.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.apply();
    });
    this.el.hidden = true;
  }

  /** A workshop server's ceilings, in words: an empty field is the ceiling there, and more is refused. */
  setCeilings(ceilings: readonly string[]): void {
    this.intro.textContent = ceilings.length
      ? `Live, without a new shell (as docker update). This workshop server allows at most ${ceilings.join(', ')}; empty: the ceiling.`
      : NO_CEILINGS;
  }

  /** The running shell's settings; the form shows while it has a cgroup of its own. */
  setSpec(spec: ContainerSpec, usable: boolean): void {
    const before = this.spec;
    this.spec = spec;
    this.usable = usable;
    this.el.hidden = !spec.resources.cgroup;
    // Keep what the learner is typing, unless the limits themselves changed (an Apply, a lesson).
    if (!this.dirty || JSON.stringify(before?.resources) !== JSON.stringify(spec.resources)) this.fill(fieldsOf(spec));
    this.render();
  }

  private fields(): LimitFields {
    return { memoryMiB: this.inputs.get('memoryMiB')!.value, cpus: this.inputs.get('cpus')!.value, pids: this.inputs.get('pids')!.value };
  }

  private fill(fields: LimitFields): void {
    for (const [field, input] of this.inputs) input.value = fields[field];
    this.dirty = false;
  }

  private async apply(): Promise<void> {
    if (!this.spec || this.busy || !this.usable) return;
    const change = limitsChange(this.fields(), this.spec);
    if (!change.ok) {
      this.markInvalid(change.field);
      this.status.textContent = `${FIELDS.find((f) => f.field === change.field)!.label}: ${change.message}`;
      this.inputs.get(change.field)!.focus();
      return;
    }
    if (!change.request) {
      this.status.textContent = 'These are the limits the shell has.';
      return;
    }
    this.busy = true;
    this.render();
    this.status.textContent = 'Writing the new limits into the shell\'s cgroup…';
    const reply = await this.deps.apply(change.request);
    this.busy = false;
    if (reply.ok) {
      this.deps.applied(reply.data.spec);
      this.status.textContent = 'Applied to the running shell.';
    } else {
      this.status.textContent = `Not applied: ${reply.message}`;
    }
    this.render();
  }

  private markInvalid(field: LimitField | null): void {
    for (const [f, input] of this.inputs) input.setAttribute('aria-invalid', String(f === field));
  }

  private render(): void {
    this.submit.setAttribute('aria-disabled', String(this.busy || !this.usable));
    this.el.setAttribute('aria-busy', String(this.busy));
  }
}
