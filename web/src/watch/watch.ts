// The audience's page (/w/CODE): the speaker's terminal, live and read-only. The server sends the
// screen as it is, then the bytes as they come; this page acknowledges what xterm has written, so
// the server knows when a phone has fallen behind (it is then skipped and sent a fresh screen —
// the speaker is never slowed down). Nothing typed here goes anywhere.
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { io, type Socket } from 'socket.io-client';
import { WATCH_ACK, type WatchClientEvents, type WatchServerEvents } from '../../../common/watch.js';
import { FlowAcker } from '../terminal/flow.js';
import { fitFontSize } from './fit.js';
import './watch.css';

const MONO_FONTS = 'ui-monospace, "Cascadia Mono", "SF Mono", Menlo, "DejaVu Sans Mono", "Liberation Mono", Consolas, monospace';

const status = document.getElementById('watch-status')!;
const host = document.getElementById('watch-terminal')!;
const code = location.pathname.split('/').pop() ?? '';

const term = new Terminal({ fontFamily: MONO_FONTS, fontSize: 14, disableStdin: true, cursorBlink: false, scrollback: 1000, theme: { background: '#0b0d10' } });
term.open(host);
let cols = 80;
const fit = () => {
  term.options.fontSize = fitFontSize(host.clientWidth, cols);
};
new ResizeObserver(fit).observe(host);

const socket: Socket<WatchServerEvents, WatchClientEvents> = io('/watch', { auth: { code }, transports: ['websocket'] });
const flow = new FlowAcker({ send: (bytes) => socket.emit('watch:ack', { bytes }), ackEveryBytes: WATCH_ACK.everyBytes, idleMs: WATCH_ACK.idleMs });
const say = (text: string, state: string) => {
  status.textContent = text;
  status.dataset['state'] = state;
};

socket.on('connect', () => say('Live', 'live'));
socket.on('connect_error', (err) => say(`Cannot watch: ${err.message}`, 'error'));
socket.on('disconnect', () => {
  flow.reset();
  say('Reconnecting…', 'reconnecting');
});
socket.on('watch:screen', (screen) => {
  cols = screen.cols;
  term.reset();
  term.resize(screen.cols, screen.rows);
  fit();
  const bytes = new TextEncoder().encode(screen.data).length;
  term.write(screen.data, flow.track(bytes));
});
socket.on('watch:output', (data) => {
  const chunk = data instanceof Uint8Array ? data : new Uint8Array(data);
  term.write(chunk, flow.track(chunk.length));
});
socket.on('watch:ended', ({ message }) => {
  say(`Ended: ${message}`, 'ended');
  socket.close();
});
// For tests: the text on screen, as a viewer reads it.
(window as unknown as { isolabWatch: { text(): string } }).isolabWatch = {
  text: () => {
    const buf = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  },
};
