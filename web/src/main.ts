// Composition root of the page: builds each part of the screen, hands them to the LabSession
// (which runs the protocol), and exposes the read-only test hooks.
import './styles.css';
import type { SandboxReady } from '../../common/protocol.js';
import { Alerts } from './alerts.js';
import { ConnectionIndicator } from './connection.js';
import { byId } from './dom.js';
import { Inspector } from './inspector.js';
import { LabSession } from './lab-session.js';
import { LessonMenu } from './lesson-menu.js';
import { LessonPane } from './lesson-pane.js';
import { installRegionCycling } from './regions.js';
import { ShellStatus } from './shell-status.js';
import { connectLab, takeAccessToken } from './socket.js';
import { LabTerminal } from './terminal.js';
import { ThemeSwitch, terminalTheme } from './theme.js';
import { ToggleBoard } from './toggles.js';

/** What end-to-end tests read (window.isolab); read-only. */
interface IsolabHooks {
  terminalText(): string;
  socketConnected(): boolean;
  lastReady(): SandboxReady | null;
}
declare global {
  interface Window {
    readonly isolab: IsolabHooks;
  }
}

const socket = connectLab(takeAccessToken());

const theme = new ThemeSwitch(byId<HTMLButtonElement>('theme-toggle'), (t) => terminal.setTheme(terminalTheme(t)));
const terminal = new LabTerminal(byId('terminal'), {
  theme: terminalTheme(theme.theme),
  onInput: (data) => lab.sendInput(data),
  onResize: (size) => lab.resized(size),
  onAck: (bytes) => {
    if (socket.connected) socket.emit('term:ack', { bytes });
  },
  onLeave: (backwards) => moveFocus(backwards),
});

const lab: LabSession = new LabSession({
  socket,
  terminal,
  alerts: new Alerts(byId('alerts')),
  connection: new ConnectionIndicator(byId('connection')),
  menu: new LessonMenu(byId('lesson-menu')),
  pane: new LessonPane(byId('lesson-region'), { run: (block) => lab.runCommand(block) }),
  board: new ToggleBoard(byId('toggle-board'), { request: (id, on) => lab.toggle(id, on) }),
  inspector: new Inspector(byId('inspector')),
  shellStatus: new ShellStatus(byId('shell-status'), { restart: () => lab.restartShell() }),
});

const moveFocus = installRegionCycling([
  { el: byId('lesson-region'), focus: () => byId('lesson-region').focus() },
  { el: byId('terminal-region'), focus: () => terminal.focus() },
  { el: byId('side-region'), focus: () => byId('side-region').focus() },
]);
byId('skip-to-terminal').addEventListener('click', (ev) => {
  ev.preventDefault();
  terminal.focus();
});

Object.defineProperty(window, 'isolab', {
  value: Object.freeze({
    terminalText: () => terminal.text(),
    socketConnected: () => socket.connected,
    lastReady: () => lab.lastReady,
  } satisfies IsolabHooks),
  enumerable: true,
});
