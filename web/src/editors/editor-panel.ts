// The left column's tabs: the lesson, and three editors — the settings as JSON, a seccomp profile,
// and the launcher's C source for the current primitive. The editors are Monaco, which is large:
// it is fetched (code-editors.ts, a chunk of its own) the first time one of these tabs opens, never
// with the page. Tabs follow the WAI-ARIA pattern: arrow keys move between them, Enter or Space opens one.
import type { Ack, ApplyResult, CodeViewPrimitive, FieldIssue, SeccompProfileView, SourceRange, SourceView } from '../../../common/protocol.js';
import { CODE_VIEW_PRIMITIVES } from '../../../common/protocol.js';
import { MAX_SECCOMP_PROFILE_BYTES, utf8Length } from '../../../common/seccomp-profile.js';
import { TOGGLES, type ContainerSpec } from '../../../common/spec.js';
import type { CodeEditors, EditorId, JsonEditorId } from './code-editors.js';
import { h } from '../app/dom.js';
import { formatIssuePath, parseJsonForApply, relativeIssues } from './editor-model.js';
import type { Theme } from '../app/theme.js';

type Tab = 'lesson' | EditorId;

export interface EditorPanelDeps {
  applySpec(spec: unknown): Promise<Ack<ApplyResult>>;
  getSeccompProfile(): Promise<Ack<SeccompProfileView>>;
  applySeccompProfile(profile: unknown): Promise<Ack<ApplyResult>>;
  fetchSource(primitive: CodeViewPrimitive): Promise<Ack<SourceView>>;
  /** Holds the toggle board while an Apply replaces the shell; call the result to release. */
  hold(message: string): () => void;
  theme(): Theme;
  /** F6 out of an editor. */
  leave(backwards: boolean): void;
}

const TAB_LABELS: Record<Tab, string> = { lesson: 'Lesson', settings: 'Settings', seccomp: 'Seccomp', source: 'C source' };

export function primitiveLabel(p: CodeViewPrimitive): string {
  return p === 'process' ? 'Plain process (lesson 0)' : TOGGLES[p].label;
}

interface JsonPanel {
  panel: HTMLElement;
  host: HTMLElement;
  status: HTMLElement;
  problems: HTMLUListElement;
  apply: HTMLButtonElement;
  busy: boolean;
}

export class EditorPanel {
  private readonly tabs = new Map<Tab, HTMLButtonElement>();
  private readonly panels = new Map<Tab, HTMLElement>();
  private readonly json: Record<JsonEditorId, JsonPanel>;
  private readonly source: { panel: HTMLElement; host: HTMLElement; status: HTMLElement; select: HTMLSelectElement; follow: HTMLInputElement; file: HTMLElement; functions: HTMLUListElement };
  private current: Tab = 'lesson';
  private editors: CodeEditors | undefined;
  private loading: Promise<CodeEditors | undefined> | undefined;
  private spec: ContainerSpec | null = null;
  private started = false;
  private seccompLoaded = false;
  private primitive: CodeViewPrimitive = 'process';
  private shownSource: CodeViewPrimitive | undefined;
  private sourceRequest = 0;

  constructor(
    tablist: HTMLElement,
    lessonPanel: HTMLElement,
    private readonly editorRegion: HTMLElement,
    private readonly deps: EditorPanelDeps,
  ) {
    tablist.setAttribute('role', 'tablist');
    tablist.setAttribute('aria-label', 'Lesson and editors');
    this.json = {
      settings: this.jsonPanel(
        'settings',
        'Settings as JSON',
        'The settings your shell runs with. Edit them — Ctrl+Space completes, hovering explains a field — then Apply (Ctrl+Enter): a new shell starts with them.',
        'Apply settings',
      ),
      seccomp: this.jsonPanel(
        'seccomp',
        'Seccomp profile',
        "A profile in Docker's format: a default action, and rules for named syscalls. Apply (Ctrl+Enter) runs your shell under it (settings: \"seccomp\": \"custom\").",
        'Apply profile',
      ),
    };
    this.source = this.sourcePanel();
    const order: Tab[] = ['lesson', 'settings', 'seccomp', 'source'];
    this.panels.set('lesson', lessonPanel);
    for (const tab of order) {
      const button = h(
        'button',
        { type: 'button', role: 'tab', id: `tab-${tab}`, class: 'left-tab', 'aria-selected': String(tab === 'lesson'), 'aria-controls': `panel-${tab}`, tabindex: tab === 'lesson' ? '0' : '-1', 'data-testid': `tab-${tab}` },
        TAB_LABELS[tab],
      );
      button.addEventListener('click', () => void this.select(tab));
      button.addEventListener('keydown', (ev) => this.tabKey(ev, order, tab));
      this.tabs.set(tab, button);
      tablist.append(button);
    }
    lessonPanel.id = lessonPanel.id || 'panel-lesson';
    lessonPanel.setAttribute('role', 'tabpanel');
    lessonPanel.setAttribute('aria-labelledby', 'tab-lesson');
    this.tabs.get('lesson')!.setAttribute('aria-controls', lessonPanel.id);
    editorRegion.append(this.json.settings.panel, this.json.seccomp.panel, this.source.panel);
    editorRegion.hidden = true;
  }

  /** The tab that is open ("lesson" or an editor). */
  get openTab(): Tab {
    return this.current;
  }

  /** Session started (or ended): Apply works only with a session. */
  setStarted(started: boolean): void {
    this.started = started;
    if (!started) this.seccompLoaded = false;
    for (const p of Object.values(this.json)) this.renderApply(p);
  }

  /** The settings the shell runs with now (from the server). An editor with unapplied edits keeps them. */
  setSpec(spec: ContainerSpec): void {
    this.spec = spec;
    const ed = this.editors;
    if (!ed) return;
    const edited = parseJsonForApply(ed.getText('settings'));
    // Not edited, or edited to exactly these settings (what an Apply in flight produces): show them.
    if (!ed.isDirty('settings') || (edited.ok && JSON.stringify(edited.value) === JSON.stringify(spec))) ed.setText('settings', specText(spec));
    else if (!this.json.settings.busy) this.say(this.json.settings.status, 'The shell\'s settings changed since you started editing. Apply yours, or press Revert to load the current ones.');
  }

  /** The primitive the learner is looking at (the lesson's, or the switch just flipped): the code view follows it. */
  setPrimitive(primitive: string | null): void {
    if (!primitive || !(CODE_VIEW_PRIMITIVES as readonly string[]).includes(primitive)) return;
    if (!this.source.follow.checked) return;
    this.primitive = primitive as CodeViewPrimitive;
    this.source.select.value = this.primitive;
    if (this.current === 'source') void this.loadSource();
  }

  setTheme(theme: Theme): void {
    this.editors?.setTheme(theme);
  }

  /** Focus for F6 cycling: the open panel (the editor itself when one is open). */
  focus(): void {
    if (this.current === 'lesson') this.panels.get('lesson')?.focus();
    else if (this.editors) this.editors.focus(this.current);
    else this.tabs.get(this.current)?.focus();
  }

  async select(tab: Tab): Promise<void> {
    this.current = tab;
    for (const [t, button] of this.tabs) {
      button.setAttribute('aria-selected', String(t === tab));
      button.tabIndex = t === tab ? 0 : -1;
    }
    this.panels.get('lesson')!.hidden = tab !== 'lesson';
    this.editorRegion.hidden = tab === 'lesson';
    for (const id of ['settings', 'seccomp', 'source'] as const) this.panelOf(id).hidden = id !== tab;
    document.querySelector('.layout')?.classList.toggle('is-editing', tab !== 'lesson');
    if (tab === 'lesson') return;
    const editors = await this.load(tab);
    if (!editors || this.current !== tab) return;
    editors.mount(tab, tab === 'source' ? this.source.host : this.json[tab].host);
    if (tab === 'settings') {
      if (this.spec && !editors.isDirty('settings')) editors.setText('settings', specText(this.spec));
    } else if (tab === 'seccomp') {
      if (!this.seccompLoaded) await this.loadSeccomp();
    } else {
      await this.loadSource();
    }
  }

  private panelOf(id: EditorId): HTMLElement {
    return id === 'source' ? this.source.panel : this.json[id].panel;
  }

  /** Loads Monaco once; a failure is reported in the panel and may be retried by reopening the tab. */
  private load(tab: EditorId): Promise<CodeEditors | undefined> {
    if (this.editors) return Promise.resolve(this.editors);
    const status = tab === 'source' ? this.source.status : this.json[tab].status;
    this.say(status, 'Loading the editor…');
    this.loading ??= import('./code-editors.js').then(
      ({ CodeEditors }) => {
        this.editors = new CodeEditors({
          theme: this.deps.theme(),
          apply: (id) => void this.apply(id),
          leave: (backwards) => this.deps.leave(backwards),
          edited: (id) => this.clearProblems(id),
        });
        document.documentElement.dataset['editorLoaded'] = 'true';
        return this.editors;
      },
      (err: unknown) => {
        this.loading = undefined;
        this.say(status, `The editor could not be loaded: ${(err as Error).message}. Reopen the tab to try again.`, true);
        return undefined;
      },
    );
    return this.loading.then((ed) => {
      if (ed && status.dataset['kind'] !== 'error') this.say(status, '');
      return ed;
    });
  }

  // ── JSON editors ────────────────────────────────────────────────────────

  private jsonPanel(id: JsonEditorId, title: string, intro: string, applyLabel: string): JsonPanel {
    const status = h('p', { class: 'editor-status', role: 'status', 'data-testid': `${id}-status` });
    const problems = h('ul', { class: 'editor-problems', 'aria-label': 'Problems the server found', 'data-testid': `${id}-problems` });
    const apply = h('button', { type: 'button', class: 'editor-apply', 'data-testid': `${id}-apply`, 'aria-keyshortcuts': 'Control+Enter' }, applyLabel);
    const revert = h('button', { type: 'button', class: 'editor-revert', title: id === 'settings' ? 'Load the settings the shell runs with now' : 'Load the profile again from the server' }, 'Revert');
    const host = h('div', { class: 'monaco-host', 'data-testid': `${id}-editor` });
    const panel = h(
      'section',
      { id: `panel-${id}`, class: 'editor-tabpanel', role: 'tabpanel', 'aria-labelledby': `tab-${id}`, hidden: true },
      h('h2', { class: 'editor-title' }, title),
      h('p', { class: 'editor-intro' }, intro),
      h('div', { class: 'editor-toolbar' }, apply, revert, h('span', { class: 'editor-keys' }, h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'M'), ' Tab moves focus · ', h('kbd', {}, 'F6'), ' next region')),
      status,
      problems,
      host,
    );
    const p: JsonPanel = { panel, host, status, problems, apply, busy: false };
    apply.addEventListener('click', () => void this.apply(id));
    revert.addEventListener('click', () => void this.revert(id));
    this.renderApply(p);
    return p;
  }

  private renderApply(p: JsonPanel): void {
    p.apply.setAttribute('aria-disabled', String(p.busy || !this.started));
  }

  private async revert(id: JsonEditorId): Promise<void> {
    const ed = this.editors;
    if (!ed) return;
    this.clearProblems(id);
    if (id === 'settings') {
      if (this.spec) ed.setText('settings', specText(this.spec));
      this.say(this.json.settings.status, 'Showing the settings the shell runs with now.');
    } else {
      await this.loadSeccomp(true);
    }
  }

  private async loadSeccomp(force = false): Promise<void> {
    const ed = this.editors;
    const p = this.json.seccomp;
    if (!ed || !this.started) {
      this.say(p.status, 'Waiting for the session to start…');
      return;
    }
    if (ed.isDirty('seccomp') && !force) return;
    const reply = await this.deps.getSeccompProfile();
    if (!reply.ok) {
      this.say(p.status, `The profile could not be loaded: ${reply.message}`, true);
      return;
    }
    this.seccompLoaded = true;
    ed.setText('seccomp', `${JSON.stringify(reply.data.profile, null, 2)}\n`);
    this.say(
      p.status,
      reply.data.source === 'custom'
        ? 'Your profile, as you last applied it.'
        : reply.data.source === 'docker-default'
          ? "Docker's default profile, as isolab ships it. Change it and Apply to run under your own."
          : 'A starter profile (this server ships no default profile): everything allowed except the syscalls that make namespaces and mounts.',
    );
  }

  private async apply(id: JsonEditorId): Promise<void> {
    const p = this.json[id];
    const ed = this.editors;
    if (!ed || p.busy) return;
    if (!this.started) {
      this.say(p.status, 'There is no session yet; wait for the shell to start.', true);
      return;
    }
    this.clearProblems(id);
    const text = ed.getText(id);
    const parsed = parseJsonForApply(text);
    if (!parsed.ok) {
      this.say(p.status, `Not applied: ${parsed.message}`, true);
      return;
    }
    if (id === 'seccomp' && utf8Length(JSON.stringify(parsed.value)) > MAX_SECCOMP_PROFILE_BYTES) {
      this.say(p.status, `Not applied: a profile may be at most ${MAX_SECCOMP_PROFILE_BYTES / 1024} KiB of JSON.`, true);
      return;
    }
    p.busy = true;
    this.renderApply(p);
    this.say(p.status, 'Applying: starting a new shell…');
    const release = this.deps.hold(id === 'settings' ? 'Applying the edited settings: starting a new shell…' : 'Applying your seccomp profile: starting a new shell…');
    const reply = id === 'settings' ? await this.deps.applySpec(parsed.value) : await this.deps.applySeccompProfile(parsed.value);
    release();
    p.busy = false;
    this.renderApply(p);
    if (reply.ok) {
      if (id === 'settings') {
        this.spec = reply.data.spec;
        ed.setText('settings', specText(reply.data.spec));
      } else {
        ed.setText('seccomp', text);
      }
      this.say(p.status, reply.data.changes.length ? `Applied: ${reply.data.changes.join(' · ')}.` : 'Nothing changed: the shell already runs with these settings.');
      return;
    }
    const issues = relativeIssues(reply.issues ?? [], id === 'settings' ? 'spec' : 'profile');
    this.say(p.status, `Not applied: ${reply.message}`, true);
    this.showProblems(id, issues);
    ed.setIssues(id, issues);
  }

  private showProblems(id: JsonEditorId, issues: FieldIssue[]): void {
    const p = this.json[id];
    p.problems.replaceChildren(
      ...issues.map((issue) => {
        const go = h('button', { type: 'button', class: 'problem-link' }, h('code', {}, formatIssuePath(issue.path)), ': ', issue.message);
        go.addEventListener('click', () => this.editors?.revealPath(id, issue.path));
        return h('li', { class: 'editor-problem', 'data-path': issue.path.join('.') }, go);
      }),
    );
  }

  private clearProblems(id: JsonEditorId): void {
    this.json[id].problems.replaceChildren();
  }

  // ── Source view ─────────────────────────────────────────────────────────

  private sourcePanel() {
    const status = h('p', { class: 'editor-status', role: 'status', 'data-testid': 'source-status' });
    const select = h(
      'select',
      { id: 'source-primitive', class: 'source-select', 'data-testid': 'source-primitive' },
      ...CODE_VIEW_PRIMITIVES.map((p) => h('option', { value: p }, primitiveLabel(p))),
    );
    const follow = h('input', { type: 'checkbox', id: 'source-follow', checked: true });
    const file = h('p', { class: 'source-file', 'data-testid': 'source-file' });
    const functions = h('ul', { class: 'source-functions', 'aria-label': 'Functions that run for this primitive', 'data-testid': 'source-functions' });
    const host = h('div', { class: 'monaco-host', 'data-testid': 'source-editor' });
    const panel = h(
      'section',
      { id: 'panel-source', class: 'editor-tabpanel', role: 'tabpanel', 'aria-labelledby': 'tab-source', hidden: true },
      h('h2', { class: 'editor-title' }, "The launcher's source"),
      h('p', { class: 'editor-intro' }, 'The C code that builds your container, as it is in this repository. Highlighted: what runs for the primitive below.'),
      h(
        'div',
        { class: 'editor-toolbar' },
        h('label', { for: 'source-primitive' }, 'Primitive '),
        select,
        h('label', { class: 'source-follow' }, follow, ' Follow the lesson and the switches'),
      ),
      file,
      functions,
      status,
      host,
    );
    select.addEventListener('change', () => {
      this.primitive = select.value as CodeViewPrimitive;
      // Choosing by hand means the learner wants this one to stay.
      follow.checked = false;
      void this.loadSource();
    });
    follow.addEventListener('change', () => {
      if (follow.checked) void this.loadSource();
    });
    return { panel, host, status, select, follow, file, functions };
  }

  private async loadSource(): Promise<void> {
    const ed = this.editors;
    if (!ed) return;
    const primitive = this.primitive;
    if (primitive === this.shownSource) return;
    const mine = ++this.sourceRequest;
    this.say(this.source.status, `Loading the source for ${primitiveLabel(primitive)}…`);
    const reply = await this.deps.fetchSource(primitive);
    if (mine !== this.sourceRequest) return;
    if (!reply.ok) {
      this.say(this.source.status, `The source could not be loaded: ${reply.message}`, true);
      return;
    }
    const view = reply.data;
    this.shownSource = primitive;
    ed.showSource(view);
    this.source.file.replaceChildren(h('code', {}, view.file));
    this.source.functions.replaceChildren(...view.ranges.map((r) => this.functionLink(r)));
    this.say(
      this.source.status,
      view.ranges.length ? `${primitiveLabel(primitive)}: ${view.ranges.map((r) => `${r.function} (lines ${r.startLine}–${r.endLine})`).join(', ')}.` : `${primitiveLabel(primitive)}: ${view.file}.`,
    );
  }

  private functionLink(r: SourceRange): HTMLElement {
    const go = h('button', { type: 'button', class: 'problem-link' }, h('code', {}, `${r.function}()`), ` lines ${r.startLine}–${r.endLine}`);
    go.addEventListener('click', () => this.editors?.revealSourceRange(r));
    return h('li', {}, go);
  }

  // ── helpers ─────────────────────────────────────────────────────────────

  private say(el: HTMLElement, text: string, error = false): void {
    el.textContent = text;
    el.dataset['kind'] = error ? 'error' : 'info';
  }

  private tabKey(ev: KeyboardEvent, order: Tab[], tab: Tab): void {
    const at = order.indexOf(tab);
    let next: Tab | undefined;
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown') next = order[(at + 1) % order.length];
    else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') next = order[(at - 1 + order.length) % order.length];
    else if (ev.key === 'Home') next = order[0];
    else if (ev.key === 'End') next = order[order.length - 1];
    if (!next) return;
    ev.preventDefault();
    // Manual activation: arrows move focus, Enter or Space opens (opening an editor downloads Monaco).
    for (const [t, b] of this.tabs) b.tabIndex = t === next ? 0 : -1;
    this.tabs.get(next)!.focus();
  }
}

function specText(spec: ContainerSpec): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}
