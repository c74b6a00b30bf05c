// The inspector: the probe's report about the shell next to its report about the host, grouped
// (namespaces, identity, capabilities, seccomp, cgroup, mounts, paths, devices, limits, LSMs,
// network, kernel), from inspector:update. A row that differs is marked "≠" with words, not only
// colour; a row that changed since the previous report carries a visible "changed" mark and
// data-changed="true". What the rows say is decided in inspector-model.ts. It is read again after
// each command the learner runs (refresh-after-enter.ts) and on its Refresh button.
import type { InspectorView } from '../../../common/protocol.js';
import { h, prefersReducedMotion } from '../app/dom.js';
import { wrappable } from '../app/wrap.js';
import { inspectorGroups, inspectorSummary, type InspectorGroup, type InspectorGroupId, type InspectorLine } from './inspector-model.js';

export interface InspectorDeps {
  /** Asks the server for a new report (inspector:refresh); resolves to why it failed, or null. */
  refresh(): Promise<string | null>;
  /** A report arrived with this many rows changed since the one before. */
  changed?(rows: number): void;
}

export class Inspector {
  private readonly groupsHost: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly refreshButton: HTMLButtonElement;
  private readonly refreshStatus: HTMLElement;
  private previous: InspectorView | null = null;
  private refreshing = false;
  private available = false;
  /** Groups the learner opened or closed: kept across updates. */
  private readonly openByChoice = new Map<InspectorGroupId, boolean>();

  constructor(
    root: HTMLElement,
    private readonly deps: InspectorDeps,
  ) {
    this.summary = h('p', { class: 'inspector-summary', role: 'status' }, 'Waiting for the shell…');
    this.groupsHost = h('div', { class: 'inspector-groups' });
    this.refreshButton = h('button', { type: 'button', class: 'inspector-refresh', 'data-testid': 'inspector-refresh', 'aria-disabled': 'true' }, 'Read again');
    this.refreshStatus = h('span', { class: 'inspector-refresh-status', role: 'status' });
    this.refreshButton.addEventListener('click', () => void this.refresh());
    root.append(
      h('div', { class: 'inspector-toolbar' }, this.refreshButton, this.refreshStatus),
      this.summary,
      h(
        'p',
        { class: 'inspector-legend' },
        h('span', { class: 'sym' }, '≠'),
        ' differs from the host · ',
        h('span', { class: 'sym' }, '='),
        ' same · ',
        h('span', { class: 'changed-mark' }, 'changed'),
        ' since the last report',
      ),
      this.groupsHost,
    );
  }

  /** A session is there to ask (the Read again button follows). */
  setAvailable(available: boolean): void {
    this.available = available;
    this.refreshButton.setAttribute('aria-disabled', String(!available || this.refreshing));
  }

  /** Reads the shell again now (the button; after a command). */
  async refresh(): Promise<void> {
    if (this.refreshing || !this.available) return;
    this.refreshing = true;
    this.refreshButton.setAttribute('aria-disabled', 'true');
    this.refreshStatus.textContent = 'Reading…';
    const problem = await this.deps.refresh();
    this.refreshing = false;
    this.setAvailable(this.available);
    this.refreshStatus.textContent = problem ? `Could not read the shell: ${problem}` : '';
  }

  update(view: InspectorView): void {
    const groups = inspectorGroups(view, this.previous);
    this.previous = view;
    this.deps.changed?.(groups.reduce((n, g) => n + g.changed, 0));
    const animate = !prefersReducedMotion();
    const hostName = view.hostIs === 'machine' ? 'Your machine' : 'Host';
    this.groupsHost.replaceChildren(...groups.map((g) => this.group(g, animate, hostName)));
    const taken = new Date(view.takenAt);
    this.summary.textContent = inspectorSummary(view) + (Number.isNaN(taken.getTime()) ? '' : ` Read at ${taken.toLocaleTimeString()}.`);
  }

  /** HOST_NAME heads the right column: "Host", or on a workshop server "Your machine" (what stands for the host there). */
  private group(g: InspectorGroup, animate: boolean, hostName: string): HTMLElement {
    // Open by default: namespaces, and any group where something differs or just changed.
    const open = this.openByChoice.get(g.id) ?? (g.id === 'namespaces' || g.differing > 0 || g.changed > 0);
    const counts = [g.differing ? `${g.differing} ≠` : '', g.changed ? `${g.changed} changed` : ''].filter(Boolean).join(', ');
    const details = h(
      'details',
      { class: 'inspector-group', 'data-testid': `inspector-group-${g.id}`, open },
      h('summary', {}, g.title, counts ? h('span', { class: 'group-counts' }, ` (${counts})`) : null),
      h(
        'table',
        { class: 'inspector-table' },
        h('caption', { class: 'visually-hidden' }, `${g.title}: the shell and ${hostName === 'Host' ? 'the host' : 'your machine'}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'What'),
            h('th', { scope: 'col' }, 'Shell'),
            h('th', { scope: 'col', class: 'marker' }, h('span', { class: 'visually-hidden' }, 'Same or differs')),
            h('th', { scope: 'col', ...(hostName === 'Host' ? {} : { title: 'On this workshop server your shell never shares the real host\'s namespaces: a switch turned off shares your machine\'s (its network, IPC and hostname are yours alone)' }) }, hostName),
          ),
        ),
        h('tbody', {}, ...g.lines.map((line) => this.row(line, animate))),
      ),
    );
    details.addEventListener('toggle', () => this.openByChoice.set(g.id, details.open));
    return details;
  }

  private row(line: InspectorLine, animate: boolean): HTMLElement {
    const classes = [line.differs ? 'differs' : 'same', line.changed ? (animate ? 'changed flash' : 'changed') : ''];
    return h(
      'tr',
      {
        'data-testid': `inspector-row-${line.key}`,
        'data-differs': String(line.differs),
        'data-changed': String(line.changed),
        class: classes.join(' ').trim(),
        title: line.detail || null,
      },
      h(
        'th',
        { scope: 'row' },
        ...wrappable(line.label),
        line.changed
          ? h('span', { class: 'changed-mark', title: `was: ${line.before ?? '—'}` }, 'changed', h('span', { class: 'visually-hidden' }, ` (was ${line.before ?? '—'})`))
          : null,
      ),
      h('td', { class: 'val' }, ...wrappable(line.container)),
      h('td', { class: 'marker', title: line.meaning }, h('span', { 'aria-hidden': 'true' }, line.symbol), h('span', { class: 'visually-hidden' }, line.meaning)),
      h('td', { class: 'val' }, ...wrappable(line.host)),
    );
  }
}
