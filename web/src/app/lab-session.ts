// One learner's session as the page sees it: the boot sequence (session:start → lesson:open),
// run again on every (re)connection, the lesson in the address bar, and the server's events
// routed to the modules that show them. Replies from an older connection are dropped. A
// reconnection first tries to re-attach to the shell it had (session:resume, app/resume.ts): the
// same shell, its screen, and the keystrokes of the gap; only when that shell has ended does it
// start a fresh one (with the learner's progress).
import type { Ack, DiagnoseVerdict, LearnerProgress, SandboxReady, SessionInfo, SessionResumed, TermSize } from '../../../common/protocol.js';
import { TOGGLE_IDS, isToggleOn, type ContainerSpec, type ToggleId } from '../../../common/spec.js';
import type { Alerts } from './alerts.js';
import type { ConnectionIndicator } from './connection.js';
import { expiryWarning } from './expiry.js';
import type { DiagnosePanel } from '../diagnose/diagnose-panel.js';
import type { EditorPanel } from '../editors/editor-panel.js';
import { INTERRUPT, chunkInput, lineState, runKeystrokes } from '../terminal/input.js';
import { RefreshAfterEnter } from '../board/refresh-after-enter.js';
import type { Inspector } from '../board/inspector.js';
import type { CommandBlock } from '../lesson/lesson-model.js';
import type { LessonMenu } from '../lesson/lesson-menu.js';
import type { LessonPane } from '../lesson/lesson-pane.js';
import type { ShellStatus } from '../terminal/shell-status.js';
import { InputLedger, ResumeToken } from './resume.js';
import * as api from './socket.js';
import type { LabTerminal } from '../terminal/terminal.js';
import type { ToggleBoard } from '../board/toggles.js';
import { lessonHash, lessonIdFromHash } from './url.js';

/** After Ctrl-C, let the shell print its fresh prompt before the command is typed. */
const INTERRUPT_SETTLE_MS = 120;

export interface LabSessionDeps {
  socket: api.LabSocket;
  terminal: LabTerminal;
  alerts: Alerts;
  connection: ConnectionIndicator;
  menu: LessonMenu;
  pane: LessonPane;
  board: ToggleBoard;
  inspector: Inspector;
  shellStatus: ShellStatus;
  editor: EditorPanel;
  /** This browser's learner id (progress is saved under it); undefined when storage is unavailable. */
  learnerId: string | undefined;
  diagnosis: DiagnosePanel;
  /** Brings the container's shell to the front (the terminal tabs): a lesson's commands are for it. */
  showContainerShell(): void | Promise<void>;
  /** Back on the shell a dropped connection left (no sandbox:ready comes): what follows the shell reads it again. */
  reattached(): void;
}

export class LabSession {
  private info: SessionInfo | null = null;
  private currentLesson: string | undefined;
  private ready: SandboxReady | null = null;
  /** Bumped on every (dis)connection: replies that belong to an older connection are dropped. */
  private generation = 0;
  /** A saving problem is announced once per page, not on every reconnection. */
  private toldProblem: string | undefined;
  /** Reads the inspector again after each command the learner runs. */
  private readonly inspectAfterEnter: RefreshAfterEnter;
  /** How this tab gets its shell back after a drop. */
  private readonly resumeToken = new ResumeToken();
  private readonly input = new InputLedger();
  /** Waiting for a shell: a new one's sandbox:ready, or the one a re-attach found. */
  private shellWaiters: (() => void)[] = [];

  constructor(private readonly d: LabSessionDeps) {
    this.inspectAfterEnter = new RefreshAfterEnter(() => d.inspector.refresh());
    this.listen();
  }

  /** LISTENER runs once, when this page first has a running shell (started, or re-attached to). */
  onceShell(listener: () => void): void {
    this.shellWaiters.push(listener);
  }

  private shellRuns(): void {
    const waiters = this.shellWaiters;
    this.shellWaiters = [];
    for (const w of waiters) w();
  }

  get lastReady(): SandboxReady | null {
    return this.ready;
  }

  get hasSession(): boolean {
    return this.info !== null && this.d.socket.connected;
  }

  /** Keystrokes for the shell (split under the server's size limit); dropped while there is no session. */
  sendInput(data: string): void {
    if (!this.info || !this.d.socket.connected) {
      // A shell to go back to: what is typed meanwhile goes to it once re-attached.
      if (this.resumeToken.get()) this.input.queue(data);
      return;
    }
    for (const chunk of chunkInput(data)) {
      this.d.socket.emit('term:input', chunk);
      this.input.sent(chunk);
    }
    this.inspectAfterEnter.input(data);
  }

  /**
   * A lesson's "Run": into the container's shell, brought to the front first (a gVisor or VM tab
   * may be showing); Ctrl-C first only if something may be running (input.ts), then the command
   * and Enter.
   */
  async runCommand({ command, interrupt }: CommandBlock): Promise<void> {
    await this.d.showContainerShell();
    const { terminal } = this.d;
    const [first, ...rest] = runKeystrokes(command, interrupt, lineState(terminal.cursorLine()));
    if (first === undefined) return;
    this.sendInput(first);
    const typeRest = () => rest.forEach((keys) => this.sendInput(keys));
    if (first === INTERRUPT && rest.length) setTimeout(typeRest, INTERRUPT_SETTLE_MS);
    else typeRest();
    terminal.focus();
    terminal.reveal();
  }

  /** The inspector's report, taken now; resolves to why it could not be, or null. */
  async readInspector(): Promise<string | null> {
    if (!this.hasSession) return 'there is no session yet';
    const mine = this.generation;
    const reply = await api.readInspector(this.d.socket);
    if (mine !== this.generation) return null;
    if (!reply.ok) return reply.message;
    this.d.inspector.update(reply.data);
    return null;
  }

  /** "Why did that fail?" for COMMAND, under the shell's current settings. */
  diagnose(command: string): Promise<Ack<DiagnoseVerdict>> {
    if (!this.info) return Promise.resolve({ ok: false, code: 'not_started', message: 'there is no session yet' });
    return api.diagnose(this.d.socket, command);
  }

  toggle(id: ToggleId, on: boolean): Promise<Ack<{ spec: ContainerSpec }>> {
    // The code view follows the switch just flipped: its C code is what the new shell runs.
    this.d.editor.setPrimitive(id);
    return api.toggle(this.d.socket, id, on);
  }

  /** The learner answered a prediction (picked CHOICE, or opened the answer); resolves to why it was not saved, or null. */
  async predictionAnswered(lessonId: string, predictionId: string, choice: number | undefined): Promise<string | null> {
    if (!this.info) return 'there is no session';
    const reply = await api.answerPrediction(this.d.socket, lessonId, predictionId, choice);
    if (!reply.ok) return reply.message;
    this.showProgress(reply.data);
    return reply.data.saving ? null : (reply.data.problem ?? 'progress is not being saved');
  }

  private showProgress(progress: LearnerProgress): void {
    this.d.menu.setProgress(progress);
    this.d.pane.setProgress(progress);
    if (!progress.saving && progress.problem && progress.problem !== this.toldProblem) {
      this.toldProblem = progress.problem;
      this.d.alerts.show('Your progress is not being saved.', progress.problem);
    }
  }

  /** There is no restart event: asking for the switches as they are starts a shell when none is running. */
  async restartShell(): Promise<void> {
    const spec = this.ready?.spec ?? this.info?.spec;
    const id = TOGGLE_IDS[0];
    if (!spec || !this.info) return;
    const reply = await api.toggle(this.d.socket, id, isToggleOn(spec, id));
    if (!reply.ok) this.d.alerts.show('The shell could not be restarted.', reply.message, 'shell');
  }

  private async boot(): Promise<void> {
    const { socket, terminal, alerts, board, menu, pane, shellStatus } = this.d;
    const mine = ++this.generation;
    terminal.resetFlow();
    terminal.fitNow();
    const wanted = lessonIdFromHash(window.location.hash);
    const size = terminal.size;
    const learnerId = this.d.learnerId;
    const token = this.resumeToken.get();
    if (token) {
      const resumed = await api.resumeSession(socket, { token, ...size });
      if (mine !== this.generation) return;
      if (resumed.ok) return this.reattached(resumed.data, size, wanted);
      this.resumeToken.clear();
      const lost = this.input.abandon();
      const unsent = lost ? ` (${lost} character${lost === 1 ? '' : 's'} typed meanwhile were not sent)` : '';
      terminal.note(`the shell you had has ended${unsent}; starting a fresh one (your progress is kept)`);
    }
    const reply = await api.startSession(socket, { ...size, ...(wanted ? { lessonId: wanted } : {}), ...(learnerId ? { learnerId } : {}) });
    if (mine !== this.generation) return;
    if (!reply.ok && reply.code === 'not_found' && wanted) {
      // The server keeps a session whose start failed, so start over on a fresh connection.
      alerts.show(`There is no lesson "${wanted}"; starting with the first one.`);
      window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
      socket.disconnect().connect();
      return;
    }
    if (!reply.ok) {
      alerts.show('Could not start a shell.', reply.message, 'shell');
      shellStatus.failed(reply.message);
      this.d.diagnosis.setAvailability('failed');
      return;
    }
    this.info = reply.data;
    this.resumeToken.set(reply.data.resume.token);
    this.input.reset();
    board.start(this.info.spec, this.info.lockedOn, this.info.ceilings);
    this.d.diagnosis.setAvailability('ready');
    this.d.inspector.setAvailable(true);
    menu.setLessons(this.info.lessons);
    pane.setLessons(this.info.lessons);
    this.showProgress(this.info.progress);
    this.d.editor.setStarted(true);
    this.d.editor.setSpec(this.info.spec);
    const now = terminal.size;
    if (now.cols !== size.cols || now.rows !== size.rows) socket.emit('term:resize', now);
    const found = this.info.lessons.find((l) => l.id === wanted);
    if (wanted && !found) alerts.show(`There is no lesson "${wanted}"; starting with the first one.`);
    // A returning learner goes back to the lesson they left (the address bar's lesson wins).
    const last = this.info.lessons.find((l) => l.id === this.info?.progress.lastLesson);
    const first = found ?? (wanted ? undefined : last) ?? this.info.lessons[0];
    if (first) await this.openLesson(first.id);
    else pane.showError('This server has no lessons installed; the shell and the switches still work.');
  }

  /**
   * Back on the shell the dropped connection left: the page shows the session as it is now (its
   * switches, its lesson, its shell), without reopening the lesson (that could replace the shell);
   * the screen arrives as term:output. Then what the server missed and what was typed offline.
   */
  private async reattached(info: SessionResumed, askedSize: TermSize, wanted: string | undefined): Promise<void> {
    const { socket, terminal, alerts, board, menu, pane, shellStatus } = this.d;
    this.info = info;
    this.resumeToken.set(info.resume.token);
    board.start(info.spec, info.lockedOn, info.ceilings);
    this.d.diagnosis.setAvailability('ready');
    this.d.inspector.setAvailable(true);
    menu.setLessons(info.lessons);
    pane.setLessons(info.lessons);
    this.showProgress(info.progress);
    this.d.editor.setStarted(true);
    this.d.editor.setSpec(info.spec);
    if (info.ready) {
      this.ready = info.ready;
      shellStatus.ready(info.ready);
      this.shellRuns();
    } else if (info.exitCode !== null) shellStatus.exited(info.exitCode);
    else shellStatus.failed('no shell is running; flip a switch to start one');
    const now = terminal.size;
    if (now.cols !== askedSize.cols || now.rows !== askedSize.rows) socket.emit('term:resize', now);
    const { resend, dropped } = this.input.reattached(info.inputChars);
    if (resend) this.sendInput(resend);
    if (dropped) alerts.show(`${dropped} characters typed while the connection was down were not sent (too many to keep).`);
    void this.d.inspector.refresh();
    this.d.reattached();
    // A page loaded with another lesson in its address (a link, a bookmark) opens that one, as a learner asked.
    if (wanted && wanted !== info.lesson?.id && info.lessons.some((l) => l.id === wanted)) return this.openLesson(wanted);
    if (info.lesson) {
      const lesson = info.lesson;
      this.currentLesson = lesson.id;
      if (lessonIdFromHash(window.location.hash) !== lesson.id) window.history.replaceState(window.history.state, '', lessonHash(lesson.id));
      menu.setCurrent(lesson.id);
      pane.showLesson(lesson);
      board.setPrimitive(lesson.primitive);
      this.d.editor.setPrimitive(lesson.primitive);
      document.title = `${lesson.title} · isolab`;
    }
  }

  private async openLesson(id: string): Promise<void> {
    const { socket, alerts, board, menu, pane } = this.d;
    const mine = this.generation;
    this.currentLesson = id;
    if (lessonIdFromHash(window.location.hash) !== id) window.history.replaceState(window.history.state, '', lessonHash(id));
    menu.setCurrent(id);
    pane.showLoading(this.info?.lessons.find((l) => l.id === id)?.title);
    board.setPrimitive(null);
    const release = board.hold('Opening the lesson: starting its shell…');
    const reply = await api.openLesson(socket, id);
    release();
    if (mine !== this.generation || this.currentLesson !== id) return;
    if (!reply.ok) {
      alerts.show(`Could not open lesson "${id}".`, reply.message);
      pane.showError(reply.message);
      return;
    }
    pane.showLesson(reply.data);
    board.setPrimitive(reply.data.primitive);
    this.d.editor.setPrimitive(reply.data.primitive);
    document.title = `${reply.data.title} · isolab`;
  }

  private listen(): void {
    const { socket, terminal, alerts, connection, board, inspector, pane, shellStatus } = this.d;

    window.addEventListener('hashchange', () => {
      const id = lessonIdFromHash(window.location.hash);
      if (!this.info || !id || id === this.currentLesson) return;
      if (!this.info.lessons.some((l) => l.id === id)) {
        alerts.show(`There is no lesson "${id}".`);
        if (this.currentLesson) window.history.replaceState(window.history.state, '', lessonHash(this.currentLesson));
        return;
      }
      void this.openLesson(id);
    });

    socket.on('connect', () => {
      connection.set('connected');
      this.d.diagnosis.setAvailability('starting');
      void this.boot();
    });
    socket.on('disconnect', (reason) => {
      this.generation++;
      this.info = null;
      board.reset();
      this.d.editor.setStarted(false);
      this.d.diagnosis.setAvailability('offline');
      this.d.inspector.setAvailable(false);
      this.inspectAfterEnter.cancel();
      shellStatus.offline();
      if (reason === 'io client disconnect') return; // boot() starting over: it reconnects at once
      connection.set(socket.active ? 'reconnecting' : 'offline');
      terminal.note(socket.active ? 'connection lost; reconnecting…' : 'disconnected from the server; reload the page to start again');
    });
    socket.on('connect_error', (err) => {
      if (socket.active) {
        connection.set('reconnecting');
        return;
      }
      // The server refused us (its middleware said no): retrying will not help.
      connection.set(/unauthori[sz]ed/i.test(err.message) ? 'unauthorized' : 'offline');
      alerts.show('The server refused the connection.', err.message);
    });

    socket.on('term:output', (data) => terminal.writeOutput(data));
    socket.on('sandbox:ready', (ready) => {
      this.ready = ready;
      // A shell runs again: whatever said one could not start is history now.
      alerts.clear('shell');
      board.setSpec(ready.spec);
      this.d.editor.setSpec(ready.spec);
      shellStatus.ready(ready);
      this.shellRuns();
    });
    socket.on('sandbox:updated', ({ spec }) => board.setSpec(spec));
    socket.on('sandbox:exit', ({ code }) => shellStatus.exited(code));
    socket.on('sandbox:error', (err) => alerts.show(err.message, err.step ? `(step: ${err.step})` : undefined, 'shell'));
    socket.on('session:error', (err) => alerts.show(`The server rejected "${err.event}": ${err.message}`));
    // A workshop session's end coming (idle, or its maximum length), or an idle warning withdrawn.
    socket.on('session:expiring', (warning) => {
      alerts.clear('expiry');
      if (warning.endsInMs === null) return;
      const { message, detail } = expiryWarning({ ...warning, endsInMs: warning.endsInMs });
      alerts.show(message, detail, 'expiry');
    });
    socket.on('session:ended', (end) => {
      alerts.clear('expiry');
      alerts.show(end.message, undefined, 'expiry');
    });
    socket.on('inspector:update', (view) => inspector.update(view));
    socket.on('lesson:status', (status) => {
      if (status.lessonId === this.currentLesson) pane.showStatus(status);
    });
    socket.on('progress:update', (progress) => this.showProgress(progress));
  }

  /** Terminal geometry changed: tell the server, once there is a session to tell. */
  resized(size: { cols: number; rows: number }): void {
    if (this.info && this.d.socket.connected) this.d.socket.emit('term:resize', size);
  }
}
