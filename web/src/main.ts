// Composition root of the page: builds each part of the screen, hands them to the LabSession
// (which runs the protocol), and exposes the read-only test hooks.
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
import { Inspector } from './board/inspector.js';
import { LabSession } from './app/lab-session.js';
import { learnerId } from './app/learner.js';
import { LessonMenu } from './lesson/lesson-menu.js';
import { LessonPane } from './lesson/lesson-pane.js';
import { installRegionCycling } from './app/regions.js';
import { ShellStatus } from './terminal/shell-status.js';
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
  activeTab(): TabId;
  socketConnected(): boolean;
  lastReady(): SandboxReady | null;
}
declare global {
  interface Window {
    readonly isolab: IsolabHooks;
  }
}

const token = takeAccessToken();
const socket = connectLab(token);

const theme = new ThemeSwitch(byId<HTMLButtonElement>('theme-toggle'), (t) => {
  terminal.setTheme(terminalTheme(t));
  editor.setTheme(t);
  tabs.setTheme(terminalTheme(t));
});
const terminal = new LabTerminal(byId('terminal'), {
  theme: terminalTheme(theme.theme),
  onInput: (data) => lab.sendInput(data),
  onResize: (size) => lab.resized(size),
  onAck: (bytes) => {
    if (socket.connected) socket.emit('term:ack', { bytes });
  },
  onLeave: (backwards) => moveFocus(backwards),
});

const board = new ToggleBoard(byId('toggle-board'), { request: (id, on) => lab.toggle(id, on) });

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

const lab: LabSession = new LabSession({
  socket,
  terminal,
  alerts: new Alerts(byId('alerts')),
  connection: new ConnectionIndicator(byId('connection')),
  menu: new LessonMenu(byId('lesson-menu')),
  pane: new LessonPane(byId('lesson-region'), {
    run: (block) => lab.runCommand(block),
    predicted: (lessonId, predictionId) => void lab.predictionAnswered(lessonId, predictionId),
  }),
  board,
  inspector: new Inspector(byId('inspector')),
  shellStatus: new ShellStatus(byId('shell-status'), { restart: () => lab.restartShell() }),
  editor,
  learnerId: learnerId(),
  diagnosis: new DiagnosePanel(byId<HTMLButtonElement>('diagnose-open'), byId('diagnose-panel'), {
    lastCommand: () => lastCommandLine(terminal.text()),
    run: (command) => lab.diagnose(command),
    focusTerminal: () => terminal.focus(),
  }),
});

const tabs = new TerminalTabs(byId('terminal-tabs'), byId('terminal'), terminal, {
  socket,
  theme: terminalTheme(theme.theme),
  onLeave: (backwards) => moveFocus(backwards),
  hasSession: () => lab.hasSession,
});
new ComparePanel(byId('compare-panel'), byId<HTMLButtonElement>('compare-toggle'), socket);
new AtWorkPanel(byId('equivalents'), socket);

const moveFocus = installRegionCycling([
  { el: byId('left-column'), focus: () => editor.focus() },
  { el: byId('terminal-region'), focus: () => tabs.terminal()?.focus() },
  { el: byId('side-region'), focus: () => byId('side-region').focus() },
]);
byId('skip-to-terminal').addEventListener('click', (ev) => {
  ev.preventDefault();
  terminal.focus();
});

Object.defineProperty(window, 'isolab', {
  value: Object.freeze({
    terminalText: () => tabs.terminal()?.text() ?? '',
    activeTab: () => tabs.current,
    socketConnected: () => socket.connected,
    lastReady: () => lab.lastReady,
  } satisfies IsolabHooks),
  enumerable: true,
});
