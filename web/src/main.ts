// Composition root of the page: builds each part of the screen, hands them to the LabSession
// (which runs the protocol), wires presenter mode, the text size and the keyboard shortcuts, and
// exposes the read-only test hooks.
import { AtWorkPanel } from './board/at-work.js';
import './styles.css';
import type { SandboxReady } from '../../common/protocol.js';
import { Alerts } from './app/alerts.js';
import { ComparePanel } from './compare/compare-panel.js';
import { ConnectionIndicator } from './app/connection.js';
import { DiagnosePanel } from './diagnose/diagnose-panel.js';
import { lastCommandLine } from './diagnose/diagnose-model.js';
import { byId } from './app/dom.js';
import { EditorPanel } from './editors/editor-panel.js';
import { TextSize } from './app/font-size.js';
import { Inspector } from './board/inspector.js';
import { LabSession } from './app/lab-session.js';
import { currentLayout, watchLayout, type Layout } from './app/layout.js';
import { learnerId } from './app/learner.js';
import { demoFromSearch } from './app/url.js';
import { LessonMenu } from './lesson/lesson-menu.js';
import { LessonPane, type LessonState } from './lesson/lesson-pane.js';
import { DemoControls } from './present/demo-controls.js';
import { HostTerminal } from './present/host-terminal.js';
import { Presenter } from './present/presenter.js';
import { Recorder } from './present/recorder.js';
import { ReplayOverlay } from './present/replay.js';
import { SharePanel } from './present/share.js';
import { StepPanel } from './present/step-panel.js';
import type { StepSource } from './present/steps.js';
import { installRegionCycling } from './app/regions.js';
import { installShortcuts } from './app/shortcuts.js';
import { ShellStatus } from './terminal/shell-status.js';
import { SideTabs } from './board/side-tabs.js';
import * as api from './app/socket.js';
import { connectLab, takeAccessToken } from './app/socket.js';
import { LabTerminal } from './terminal/terminal.js';
import { TerminalTabs, type TabId } from './terminal/terminal-tabs.js';
import { ThemeSwitch, terminalTheme } from './app/theme.js';
import { ToggleBoard } from './board/toggles.js';

/** What end-to-end tests read (window.isolab); read-only. */
interface IsolabHooks {
  /** The text of the terminal tab in front (the container's shell unless another tab is chosen). */
  terminalText(): string;
  /** The columns and rows of the terminal tab in front. */
  terminalSize(): { cols: number; rows: number } | null;
  /** The font size of the terminal tab in front, in CSS pixels. */
  terminalFontSize(): number;
  activeTab(): TabId;
  socketConnected(): boolean;
  lastReady(): SandboxReady | null;
  layout(): Layout;
  presenting(): boolean;
  /** The text of the host terminal beside the container's (presenter mode), '' when it is not open. */
  hostTerminalText(): string;
  /** The open scripted demo's id, '' when the lesson is shown. */
  demoId(): string;
}
declare global {
  interface Window {
    readonly isolab: IsolabHooks;
  }
}

const token = takeAccessToken();
const socket = connectLab(token);
const presenter = new Presenter(byId<HTMLButtonElement>('present-toggle'));

const palette = () => terminalTheme(theme.theme, presenter.presenting);
const theme = new ThemeSwitch(byId<HTMLButtonElement>('theme-toggle'), (t) => {
  terminal.setTheme(palette());
  editor.setTheme(t);
  tabs.setTheme(palette());
  hostTerminal.setTheme(palette());
});
const textSize = new TextSize(byId('text-size'), (sizes) => {
  terminal.setFontSize(sizes.terminalPx);
  tabs.setFontSize(sizes.terminalPx);
  hostTerminal.setFontSize(sizes.terminalPx);
});
const terminal = new LabTerminal(byId('terminal'), {
  theme: palette(),
  fontSize: textSize.sizes.terminalPx,
  onInput: (data) => lab.sendInput(data),
  onResize: (size) => lab.resized(size),
  onAck: (bytes) => {
    if (socket.connected) socket.emit('term:ack', { bytes });
  },
  onLeave: (backwards) => moveFocus(backwards),
});

const board = new ToggleBoard(byId('toggle-board'), {
  request: (id, on) => lab.toggle(id, on),
  limits: (request) => api.setLimits(socket, request),
});
const inspector = new Inspector(byId('inspector'), {
  refresh: () => lab.readInspector(),
  changed: (rows) => sideTabs.markChanged('inspector', rows),
});
const sideTabs = new SideTabs(
  byId('side-tabs'),
  byId('side-panels'),
  { switches: byId('toggle-board'), inspector: byId('inspector'), 'at-work': byId('at-work') },
  byId('left-column').parentElement!,
  { layout: currentLayout, folded: () => editor.focus() },
);

// The lesson and the editors share the left column; Monaco loads only when an editor tab opens.
const editor: EditorPanel = new EditorPanel(byId('left-tabs'), byId('lesson-region'), byId('editor-region'), {
  applySpec: (spec) => api.applySpec(socket, spec),
  getSeccompProfile: () => api.getSeccompProfile(socket),
  applySeccompProfile: (profile) => api.applySeccompProfile(socket, profile),
  fetchSource: (primitive) => api.fetchSource(token, primitive),
  hold: (message) => board.hold(message),
  theme: () => theme.theme,
  leave: (backwards) => moveFocus(backwards),
});

const pane = new LessonPane(byId('lesson-region'), {
  run: (block) => void lab.runCommand(block),
  predicted: (lessonId, predictionId, choice) => lab.predictionAnswered(lessonId, predictionId, choice),
});

const alerts = new Alerts(byId('alerts'));
const lab: LabSession = new LabSession({
  socket,
  terminal,
  alerts,
  connection: new ConnectionIndicator(byId('connection')),
  menu: new LessonMenu(byId('lesson-menu')),
  pane,
  board,
  inspector,
  shellStatus: new ShellStatus(byId('shell-status'), { restart: () => lab.restartShell() }),
  editor,
  learnerId: learnerId(),
  reattached: () => void atWork.refresh(),
  diagnosis: new DiagnosePanel(byId<HTMLButtonElement>('diagnose-open'), byId('diagnose-panel'), {
    lastCommand: () => lastCommandLine(terminal.text()),
    run: (command) => lab.diagnose(command),
    focusTerminal: () => terminal.focus(),
  }),
  showContainerShell: () => (tabs.current === 'container' ? undefined : tabs.select('container')),
});

const tabs = new TerminalTabs(byId('terminal-tabs'), byId('terminal'), terminal, {
  socket,
  theme: palette(),
  fontSize: () => textSize.sizes.terminalPx,
  onLeave: (backwards) => moveFocus(backwards),
  hasSession: () => lab.hasSession,
});
new ComparePanel(byId('compare-panel'), byId<HTMLButtonElement>('compare-toggle'), socket);
const atWork = new AtWorkPanel(byId('at-work'), socket);

// Presenter mode: the lesson as one step at a time (its source is the open lesson; a scripted
// demo can set another), large text, high contrast, the switches with their keys.
const steps = new StepPanel(byId('present-steps'), { run: (block) => void lab.runCommand(block) });
const lessonSteps = (state: LessonState): StepSource => ({
  id: state.view?.id ?? '',
  title: state.view ? `Lesson ${state.view.number} · ${state.view.title}` : 'Loading the lesson…',
  steps: state.steps,
  task: state.task,
});
let lessonState: LessonState | null = null;
pane.listen((state) => {
  lessonState = state;
  if (!demos.demoId) steps.setSource(lessonSteps(state));
});

// A scripted demo (a picker, or ?demo=ID), the host's shell beside the container's, Record,
// Plan B's replay and sharing with the audience: all in the step panel.
const terminalStack = byId('terminal').parentElement!;
const hostTerminal = new HostTerminal(terminalStack, {
  socket,
  theme: palette(),
  fontSize: () => textSize.sizes.terminalPx,
  onLeave: (backwards) => moveFocus(backwards),
  hasSession: () => lab.hasSession,
  refused: (message) => alerts.show('No host terminal beside the container’s.', message),
});
const replay = new ReplayOverlay(terminalStack);
const demos: DemoControls = new DemoControls({
  socket,
  steps,
  host: hostTerminal,
  typeIntoContainer: (data) => lab.sendInput(data),
  showContainerShell: async () => {
    if (replay.open) replay.close();
    if (tabs.current !== 'container') await tabs.select('container');
  },
  showLesson: () => lessonState && steps.setSource(lessonSteps(lessonState)),
  replay: (cast, title) => replay.play(cast, title),
  warn: (message) => alerts.show(message),
});
const recorder = new Recorder({
  socket,
  key: () => demos.demoId,
  name: () => `isolab-${demos.demoId || 'session'}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`,
  replay: (cast) => replay.play(cast, 'The recording, with a chapter at every step'),
  saved: (key, cast) => demos.rehearsalSaved(key, cast),
});
const share = new SharePanel(socket);
steps.slot.append(demos.root, hostTerminal.button, recorder.root, share.button);
byId('present-steps').append(share.card);
lab.onceShell(() => void demos.load(demoFromSearch(window.location.search)));
const layout = watchLayout(() => sideTabs.layoutChanged());
presenter.listen((on) => {
  byId('present-steps').hidden = !on;
  board.setPresenting(on);
  terminal.setHighContrast(on);
  tabs.setHighContrast(on);
  hostTerminal.setHighContrast(on);
  if (!on) void hostTerminal.show(false);
  terminal.setTheme(palette());
  tabs.setTheme(palette());
  textSize.setPresenting(on);
  layout.check();
  if (on) sideTabs.select('switches');
});

installShortcuts(
  () => presenter.presenting,
  (shortcut) => {
    if (shortcut.kind === 'text-size') textSize.change(shortcut.delta);
    else if (shortcut.kind === 'toggle') {
      sideTabs.select('switches');
      void board.flip(shortcut.id);
    } else if (shortcut.kind === 'step') steps.move(shortcut.delta);
    else steps.runCurrent();
  },
);

const moveFocus = installRegionCycling([
  { el: byId('left-column'), focus: () => editor.focus() },
  { el: byId('terminal-region'), focus: () => tabs.terminal()?.focus() },
  { el: byId('side-region'), focus: () => sideTabs.focus() },
]);
byId('skip-to-terminal').addEventListener('click', (ev) => {
  ev.preventDefault();
  terminal.focus();
});

Object.defineProperty(window, 'isolab', {
  value: Object.freeze({
    terminalText: () => tabs.terminal()?.text() ?? '',
    terminalSize: () => tabs.terminal()?.size ?? null,
    terminalFontSize: () => tabs.terminal()?.fontSize ?? 0,
    activeTab: () => tabs.current,
    socketConnected: () => socket.connected,
    lastReady: () => lab.lastReady,
    layout: currentLayout,
    presenting: () => presenter.presenting,
    hostTerminalText: () => hostTerminal.text(),
    demoId: () => demos.demoId,
  } satisfies IsolabHooks),
  enumerable: true,
});
