// The comparison panel: the same questions answered by the learner's container, the host, a gVisor
// sandbox and a virtual machine, side by side. The server pushes compare:update whenever a column
// changes (a toggle replaced the shell, gVisor or the VM finished measuring); cached columns say
// when they were taken, missing ones say exactly what to install.
import { PLACES, compareRows, type CompareColumn, type CompareView } from '../../../common/compare.js';
import type { Ack } from '../../../common/protocol.js';
import { h } from '../app/dom.js';
import type { LabSocket } from '../app/socket.js';

/** gVisor's first measurement and the VM's boot can take a while on a loaded machine. */
const OPEN_TIMEOUT_MS = 30_000;

const STATE_TEXT: Record<CompareColumn['state'], string> = { ready: '', pending: 'measuring…', unavailable: 'unavailable', error: 'failed' };

export class ComparePanel {
  private readonly table: HTMLTableElement;
  private readonly notes: HTMLElement;
  private readonly status: HTMLElement;
  private openNow = false;
  private view: CompareView | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly toggleButton: HTMLButtonElement,
    private readonly socket: LabSocket,
  ) {
    this.table = h('table', { class: 'compare-table', 'data-testid': 'compare-table' });
    this.notes = h('ul', { class: 'compare-notes' });
    this.status = h('p', { class: 'compare-status', role: 'status' });
    const refresh = h('button', { type: 'button', class: 'compare-refresh', 'data-testid': 'compare-refresh' }, 'Measure gVisor and the VM again');
    refresh.addEventListener('click', () => void this.request(true));
    const close = h('button', { type: 'button', class: 'compare-close', 'aria-label': 'Close the comparison' }, '×');
    close.addEventListener('click', () => this.setOpen(false));
    root.append(
      h('div', { class: 'compare-head' }, h('h2', { id: 'compare-heading' }, 'Container · host · gVisor · VM'), refresh, close),
      h('p', { class: 'compare-intro' }, 'The same questions, asked now in four places. Switch a toggle: the container column follows. Cells that differ from the host are marked ≠.'),
      h('div', { class: 'compare-scroll' }, this.table),
      this.status,
      this.notes,
    );
    root.setAttribute('aria-labelledby', 'compare-heading');
    toggleButton.addEventListener('click', () => this.setOpen(!this.openNow));
    socket.on('compare:update', (view) => {
      if (this.openNow) this.render(view);
    });
    socket.on('connect', () => {
      if (this.openNow) void this.request(false);
    });
  }

  get isOpen(): boolean {
    return this.openNow;
  }

  get lastView(): CompareView | null {
    return this.view;
  }

  setOpen(open: boolean): void {
    this.openNow = open;
    this.root.hidden = !open;
    this.toggleButton.setAttribute('aria-expanded', String(open));
    this.root.closest('.layout')?.classList.toggle('comparing', open);
    if (open) void this.request(false);
    else if (this.socket.connected) this.socket.emit('compare:close');
  }

  private async request(refresh: boolean): Promise<void> {
    if (!this.socket.connected) return;
    this.status.textContent = refresh ? 'Measuring gVisor and the VM again…' : 'Measuring…';
    const reply = await withTimeout(this.socket.emitWithAck('compare:open', refresh ? { refresh: true } : {}));
    if (!reply.ok) {
      this.status.textContent = `The comparison is not available: ${reply.message}`;
      return;
    }
    // A refresh too soon after the last one keeps it: say so, or the button seems to do nothing.
    this.status.textContent = reply.data.notice ?? '';
    this.render(reply.data);
  }

  private render(view: CompareView): void {
    this.view = view;
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Question')),
      ...view.columns.map((c) =>
        h(
          'th',
          { scope: 'col', 'data-testid': `compare-col-${c.place}`, 'data-state': c.state, class: `state-${c.state}` },
          c.title,
          h('span', { class: 'compare-col-state' }, c.state === 'ready' ? (c.cached && c.takenAt ? `taken ${new Date(c.takenAt).toLocaleTimeString()}` : 'live') : STATE_TEXT[c.state]),
        ),
      ),
    );
    const rows = compareRows(view).map((r) =>
      h(
        'tr',
        { 'data-testid': `compare-row-${r.key}` },
        h('th', { scope: 'row' }, r.label),
        ...r.cells.map((cell, i) =>
          h(
            'td',
            { 'data-testid': `compare-cell-${r.key}-${PLACES[i]}`, class: r.differs[i] ? 'differs' : '', title: r.differs[i] ? 'differs from the host' : '' },
            r.differs[i] ? h('span', { class: 'sym', 'aria-hidden': 'true' }, '≠ ') : null,
            cell,
            r.differs[i] ? h('span', { class: 'visually-hidden' }, ' (differs from the host)') : null,
          ),
        ),
      ),
    );
    this.table.replaceChildren(h('caption', { class: 'visually-hidden' }, 'Container, host, gVisor and virtual machine compared'), h('thead', {}, head), h('tbody', {}, ...rows));
    this.notes.replaceChildren(
      ...view.columns.filter((c) => c.message || c.detail).map((c) => h('li', { 'data-testid': `compare-note-${c.place}` }, h('strong', {}, `${c.title}: `), c.state === 'ready' ? (c.detail ?? '') : (c.message ?? ''))),
    );
  }
}

function withTimeout<T>(pending: Promise<Ack<T>>): Promise<Ack<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Ack<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, code: 'internal', message: 'the server did not answer in time' }), OPEN_TIMEOUT_MS);
  });
  return Promise.race([pending, late]).finally(() => clearTimeout(timer));
}
