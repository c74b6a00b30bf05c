// The side pane's three panels — the switches, the inspector, At work — as tabs, so each has the
// pane's whole height instead of being stacked below the others (and below the fold). In the
// compact layout (app/layout.ts) the pane folds to a rail of these tabs beside the terminal:
// choosing one opens its panel over the lesson column, and "Back to the lesson" (or Escape, or the
// chosen tab again) folds it; the terminal never moves or shrinks. Tabs follow the WAI-ARIA
// pattern: arrow keys move between them.
import { h } from '../app/dom.js';
import type { Layout } from '../app/layout.js';

export type SidePanel = 'switches' | 'inspector' | 'at-work';
const ORDER: SidePanel[] = ['switches', 'inspector', 'at-work'];
const LABELS: Record<SidePanel, string> = { switches: 'Switches', inspector: 'Inspector', 'at-work': 'At work' };

export interface SideTabsDeps {
  layout(): Layout;
  /** Where focus goes when the open panel folds away (the lesson). */
  folded(): void;
}

export class SideTabs {
  private readonly tabs = new Map<SidePanel, { button: HTMLButtonElement; badge: HTMLElement }>();
  private readonly close: HTMLButtonElement;
  private active: SidePanel = 'switches';
  private open = false;

  constructor(
    tablist: HTMLElement,
    /** The element holding the three panels: it is what floats over the lesson in the compact layout. */
    panelsHost: HTMLElement,
    private readonly panels: Record<SidePanel, HTMLElement>,
    private readonly layoutRoot: HTMLElement,
    private readonly deps: SideTabsDeps,
  ) {
    tablist.setAttribute('role', 'tablist');
    tablist.setAttribute('aria-label', 'Switches, inspector and At work');
    for (const panel of ORDER) {
      const badge = h('span', { class: 'side-tab-badge', 'data-testid': `side-tab-badge-${panel}`, hidden: true });
      const button = h(
        'button',
        { type: 'button', role: 'tab', id: `side-tab-${panel}`, class: 'side-tab', 'aria-controls': panels[panel].id, 'aria-selected': String(panel === this.active), tabindex: panel === this.active ? '0' : '-1', 'data-testid': `side-tab-${panel}` },
        h('span', { class: 'side-tab-label' }, LABELS[panel]),
        badge,
      );
      button.addEventListener('click', () => this.choose(panel));
      button.addEventListener('keydown', (ev) => this.arrow(ev, panel));
      this.tabs.set(panel, { button, badge });
      tablist.append(button);
      panels[panel].setAttribute('role', 'tabpanel');
      panels[panel].setAttribute('aria-labelledby', `side-tab-${panel}`);
    }
    this.close = h('button', { type: 'button', class: 'side-close', 'data-testid': 'side-close' }, h('span', { 'aria-hidden': 'true' }, '‹ '), 'Back to the lesson');
    this.close.addEventListener('click', () => this.fold(true));
    panelsHost.prepend(this.close);
    this.layoutRoot.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.isFloating && this.panels[this.active].contains(ev.target as Node)) {
        ev.preventDefault();
        this.fold(true);
      }
    });
    this.render();
  }

  get current(): SidePanel {
    return this.active;
  }

  /** Whether the chosen panel can be seen now (always in the wide layout; in compact only while open). */
  get visible(): boolean {
    return this.deps.layout() !== 'compact' || this.open;
  }

  /** Opens PANEL (a tab's click, a presenter key, a test), unfolding the pane in the compact layout. */
  select(panel: SidePanel): void {
    this.active = panel;
    if (this.deps.layout() === 'compact') this.open = true;
    this.render();
  }

  /** A panel has news while it cannot be seen: its tab shows how much ("3 changed"). */
  markChanged(panel: SidePanel, count: number): void {
    const { badge } = this.tabs.get(panel)!;
    const show = count > 0 && !(this.visible && this.active === panel);
    badge.hidden = !show;
    badge.title = show ? `${count} ${count === 1 ? 'row' : 'rows'} changed since you last looked` : '';
    badge.replaceChildren(...(show ? [String(count), h('span', { class: 'visually-hidden' }, ' changed')] : []));
  }

  /** The layout changed: an open panel stays open only where it floats over the lesson. */
  layoutChanged(): void {
    if (this.deps.layout() !== 'compact') this.open = false;
    this.render();
  }

  /** For F6: the open panel, or the chosen tab when the pane is folded. */
  focus(): void {
    if (this.visible) this.panels[this.active].focus();
    else this.tabs.get(this.active)!.button.focus();
  }

  private get isFloating(): boolean {
    return this.deps.layout() === 'compact' && this.open;
  }

  private choose(panel: SidePanel): void {
    // In the rail, the chosen tab again folds its panel away (as an editor's activity bar does).
    if (this.isFloating && panel === this.active) return this.fold(false);
    this.select(panel);
  }

  private fold(focusLesson: boolean): void {
    this.open = false;
    this.render();
    if (focusLesson) this.deps.folded();
  }

  private arrow(ev: KeyboardEvent, panel: SidePanel): void {
    const step = ev.key === 'ArrowDown' || ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowUp' || ev.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    ev.preventDefault();
    const next = ORDER[(ORDER.indexOf(panel) + step + ORDER.length) % ORDER.length]!;
    this.tabs.get(next)!.button.focus();
  }

  private render(): void {
    for (const [panel, { button, badge }] of this.tabs) {
      const selected = panel === this.active;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      this.panels[panel].hidden = !selected;
      if (selected && this.visible) {
        badge.hidden = true;
        badge.textContent = '';
      }
    }
    this.layoutRoot.classList.toggle('side-open', this.isFloating);
    this.close.hidden = !this.isFloating;
  }
}
