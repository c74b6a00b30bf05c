// Monaco, loaded only when the learner opens an editor tab (editor-panel.ts imports this module
// with import()): the settings and the seccomp profile as JSON with completion, hover and
// validation from the same zod schemas the server checks with, and the launcher's C source,
// read-only, with the functions of the current primitive highlighted.
//
// Everything, workers included, is bundled and served by the isolab server itself (no CDN; the
// page's CSP allows workers from 'self' and blob:).
import * as monaco from 'monaco-editor/editor';
// Every editor feature, registered before the first editor exists: the JSON language's worker
// client (internal/common/workers.js) loads them all anyway, and a contribution whose service is
// registered after the editors were created fails ("depends on UNKNOWN service").
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/definitions/cpp/register';
import { jsonDefaults } from 'monaco-editor/languages/features/json/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/languages/features/json/json.worker?worker';
import type { FieldIssue, SourceRange, SourceView } from '../../../common/protocol.js';
import { containerSpecJsonSchema, seccompProfileJsonSchema } from '../../../common/json-schema.js';
import { locateJsonPath } from './json-locate.js';
import type { Theme } from '../app/theme.js';

export type JsonEditorId = 'settings' | 'seccomp';
export type EditorId = JsonEditorId | 'source';

/** Local fonts only, as the terminal: the page loads nothing from the network. */
const MONO_FONTS = 'ui-monospace, "Cascadia Mono", "SF Mono", Menlo, "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace';
/** Markers set from the server's reply, kept apart from the JSON worker's own. */
const SERVER_MARKERS = 'isolab-server';

const MODEL_URIS: Record<EditorId, monaco.Uri> = {
  settings: monaco.Uri.parse('inmemory://isolab/settings.json'),
  seccomp: monaco.Uri.parse('inmemory://isolab/seccomp-profile.json'),
  source: monaco.Uri.parse('inmemory://isolab/launcher.c'),
};

const ARIA_LABELS: Record<EditorId, string> = {
  settings: 'Container settings, JSON. Control+Enter applies them.',
  seccomp: 'Seccomp profile, JSON in Docker\'s format. Control+Enter applies it.',
  source: 'The launcher\'s C source, read-only.',
};

export interface CodeEditorsDeps {
  theme: Theme;
  /** Control+Enter (or Control+S) in a JSON editor. */
  apply(id: JsonEditorId): void;
  /** F6 / Shift+F6: leave the editor for the next region, as everywhere on the page. */
  leave(backwards: boolean): void;
  /** The learner changed a JSON editor's text. */
  edited(id: JsonEditorId): void;
}

let environmentReady = false;

function setUpEnvironment(): void {
  if (environmentReady) return;
  environmentReady = true;
  // Workers are bundled by vite (?worker) and served from this origin.
  self.MonacoEnvironment = {
    getWorker: (_workerId: string, label: string) => (label === 'json' ? new JsonWorker() : new EditorWorker()),
  };
  jsonDefaults.setDiagnosticsOptions({
    validate: true,
    allowComments: false,
    trailingCommas: 'error',
    enableSchemaRequest: false,
    schemaValidation: 'error',
    schemas: [
      { uri: 'inmemory://isolab/schemas/container-spec.json', fileMatch: [MODEL_URIS.settings.toString()], schema: containerSpecJsonSchema() },
      { uri: 'inmemory://isolab/schemas/seccomp-profile.json', fileMatch: [MODEL_URIS.seccomp.toString()], schema: seccompProfileJsonSchema() },
    ],
  });
  // The page's own colours (web/src/styles.css), so the editor sits in the page rather than on it.
  monaco.editor.defineTheme('isolab-light', { base: 'vs', inherit: true, rules: [], colors: { 'editor.background': '#ffffff', 'editorGutter.background': '#ffffff' } });
  monaco.editor.defineTheme('isolab-dark', { base: 'vs-dark', inherit: true, rules: [], colors: { 'editor.background': '#0d1117', 'editorGutter.background': '#0d1117' } });
}

const themeName = (t: Theme) => (t === 'dark' ? 'isolab-dark' : 'isolab-light');

export class CodeEditors {
  private readonly editors = new Map<EditorId, monaco.editor.IStandaloneCodeEditor>();
  private readonly models = new Map<EditorId, monaco.editor.ITextModel>();
  /** The text each JSON editor was last given (dirty = it differs). */
  private readonly cleanText = new Map<JsonEditorId, string>();
  private sourceDecorations: monaco.editor.IEditorDecorationsCollection | undefined;
  private settingText = false;

  constructor(private readonly deps: CodeEditorsDeps) {
    setUpEnvironment();
    monaco.editor.setTheme(themeName(deps.theme));
  }

  /** Creates the editor for a tab in its host (once). */
  mount(id: EditorId, host: HTMLElement): void {
    if (this.editors.has(id)) return;
    const model = monaco.editor.createModel('', id === 'source' ? 'c' : 'json', MODEL_URIS[id]);
    // The launcher is indented with tabs; 4 columns keep it readable in a narrow panel.
    if (id === 'source') model.updateOptions({ tabSize: 4 });
    this.models.set(id, model);
    const editor = monaco.editor.create(host, {
      model,
      ariaLabel: ARIA_LABELS[id],
      automaticLayout: true,
      fontFamily: MONO_FONTS,
      fontSize: 14,
      lineHeight: 20,
      minimap: { enabled: false },
      wordWrap: 'on',
      scrollBeyondLastLine: false,
      tabSize: 2,
      insertSpaces: true,
      renderLineHighlight: 'all',
      fixedOverflowWidgets: true,
      accessibilitySupport: 'auto',
      readOnly: id === 'source',
      domReadOnly: id === 'source',
      // Read-only text has no use for Tab: let it move focus, as in any other part of the page.
      tabFocusMode: id === 'source',
      folding: true,
      // Sticky scroll would stack the enclosing lines over the highlighted function.
      stickyScroll: { enabled: false },
      glyphMargin: id === 'source',
      quickSuggestions: id === 'source' ? false : { strings: true, other: true, comments: false },
    });
    editor.addCommand(monaco.KeyCode.F6, () => this.deps.leave(false));
    editor.addCommand(monaco.KeyMod.Shift | monaco.KeyCode.F6, () => this.deps.leave(true));
    if (id !== 'source') {
      const apply = () => this.deps.apply(id);
      editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, apply);
      editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, apply);
      model.onDidChangeContent(() => {
        if (this.settingText) return;
        // The server's markers point at text that has changed; Apply will check again.
        monaco.editor.setModelMarkers(model, SERVER_MARKERS, []);
        this.deps.edited(id);
      });
    } else {
      this.sourceDecorations = editor.createDecorationsCollection();
    }
    this.editors.set(id, editor);
  }

  setTheme(theme: Theme): void {
    monaco.editor.setTheme(themeName(theme));
  }

  focus(id: EditorId): void {
    this.editors.get(id)?.focus();
  }

  getText(id: JsonEditorId): string {
    return this.models.get(id)?.getValue() ?? '';
  }

  isDirty(id: JsonEditorId): boolean {
    const model = this.models.get(id);
    return model !== undefined && model.getValue() !== (this.cleanText.get(id) ?? '');
  }

  /** Replaces a JSON editor's text (undoable, cursor kept where it can be) and marks it clean. */
  setText(id: JsonEditorId, text: string): void {
    const model = this.models.get(id);
    const editor = this.editors.get(id);
    if (!model || !editor) return;
    this.cleanText.set(id, text);
    if (model.getValue() === text) return;
    const position = editor.getPosition();
    this.settingText = true;
    try {
      editor.executeEdits('isolab', [{ range: model.getFullModelRange(), text }]);
      editor.pushUndoStop();
    } finally {
      this.settingText = false;
    }
    if (position) editor.setPosition(model.validatePosition(position));
    monaco.editor.setModelMarkers(model, SERVER_MARKERS, []);
  }

  /** Marks the fields the server refused (paths relative to the editor's JSON). */
  setIssues(id: JsonEditorId, issues: FieldIssue[]): void {
    const model = this.models.get(id);
    if (!model) return;
    const text = model.getValue();
    const markers = issues.map((issue) => {
      const range = locateJsonPath(text, issue.path) ?? { start: 0, end: 1 };
      const start = model.getPositionAt(range.start);
      const end = model.getPositionAt(range.end);
      return {
        severity: monaco.MarkerSeverity.Error,
        message: issue.message,
        source: 'isolab server',
        startLineNumber: start.lineNumber,
        startColumn: start.column,
        endLineNumber: end.lineNumber,
        endColumn: end.column,
      };
    });
    monaco.editor.setModelMarkers(model, SERVER_MARKERS, markers);
  }

  /** Puts the cursor on a field and shows it. */
  revealPath(id: JsonEditorId, path: (string | number)[]): void {
    const model = this.models.get(id);
    const editor = this.editors.get(id);
    if (!model || !editor) return;
    const range = locateJsonPath(model.getValue(), path);
    if (!range) return;
    const start = model.getPositionAt(range.start);
    const end = model.getPositionAt(range.end);
    editor.setSelection(new monaco.Selection(start.lineNumber, start.column, end.lineNumber, end.column));
    editor.revealRangeInCenterIfOutsideViewport(new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column));
    editor.focus();
  }

  /** Shows a C file with the primitive's functions highlighted, scrolled to the first. */
  showSource(view: SourceView): void {
    const model = this.models.get('source');
    const editor = this.editors.get('source');
    if (!model || !editor) return;
    if (model.getValue() !== view.text) model.setValue(view.text);
    this.sourceDecorations?.set(
      view.ranges.map((r) => ({
        range: new monaco.Range(r.startLine, 1, r.endLine, 1),
        options: {
          isWholeLine: true,
          className: 'source-highlight',
          linesDecorationsClassName: 'source-highlight-gutter',
          overviewRuler: { color: '#d29922', position: monaco.editor.OverviewRulerLane.Full },
          hoverMessage: { value: `\`${r.function}\` — runs for this primitive` },
        },
      })),
    );
    const first = view.ranges[0];
    if (first) this.revealSourceRange(first, false);
  }

  /** Scrolls a function into view; a comment above it (the *why*) is shown with it. */
  revealSourceRange(range: SourceRange, focus = true): void {
    const editor = this.editors.get('source');
    if (!editor) return;
    editor.revealLinesNearTop(Math.max(1, range.startLine - 3), range.endLine, monaco.editor.ScrollType.Immediate);
    editor.setPosition({ lineNumber: range.startLine, column: 1 });
    if (focus) editor.focus();
  }
}
