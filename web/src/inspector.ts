// The inspector: the shell's namespace inodes next to the host's, from inspector:update. A row
// whose inodes differ is the shell's own namespace; it is marked with "≠" and words, not only colour.
import type { InspectorView } from '../../common/protocol.js';
import { h, prefersReducedMotion } from './dom.js';
import { inspectorLines, inspectorSummary } from './inspector-model.js';

export class Inspector {
  private readonly body: HTMLTableSectionElement;
  private readonly summary: HTMLElement;
  private previous: InspectorView | null = null;

  constructor(root: HTMLElement) {
    this.body = h('tbody');
    this.summary = h('p', { class: 'inspector-summary' }, 'Waiting for the shell…');
    const table = h(
      'table',
      { class: 'inspector-table' },
      h('caption', { class: 'visually-hidden' }, 'Namespace inodes: the shell (container) and the host'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Namespace'),
          h('th', { scope: 'col', class: 'num' }, 'Shell'),
          h('th', { scope: 'col', class: 'marker' }, h('span', { class: 'visually-hidden' }, 'Same or differs')),
          h('th', { scope: 'col', class: 'num' }, 'Host'),
        ),
      ),
      this.body,
    );
    root.append(
      table,
      this.summary,
      h('p', { class: 'inspector-legend' }, h('span', { class: 'sym' }, '≠'), ' own namespace · ', h('span', { class: 'sym' }, '='), ' same as the host'),
    );
  }

  update(view: InspectorView): void {
    const lines = inspectorLines(view, this.previous);
    this.previous = view;
    const animate = !prefersReducedMotion();
    this.body.replaceChildren(
      ...lines.map((line) =>
        h(
          'tr',
          {
            'data-testid': `inspector-row-${line.name}`,
            'data-differs': String(line.differs),
            class: [line.differs ? 'differs' : 'same', line.changed ? (animate ? 'changed flash' : 'changed') : ''].join(' ').trim(),
          },
          h('th', { scope: 'row' }, line.name),
          h('td', { class: 'num' }, line.container),
          h('td', { class: 'marker', title: line.meaning }, h('span', { 'aria-hidden': 'true' }, line.symbol), h('span', { class: 'visually-hidden' }, line.meaning)),
          h('td', { class: 'num' }, line.host),
        ),
      ),
    );
    const taken = new Date(view.takenAt);
    this.summary.textContent = inspectorSummary(view) + (Number.isNaN(taken.getTime()) ? '' : ` Read at ${taken.toLocaleTimeString()}.`);
  }
}
