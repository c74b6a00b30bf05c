// The WebSocket server under engine.io, with one change: each received message is its own turn of
// the event loop. By default ws emits every message of a TCP read at once, so one socket that sends
// 2,000 tiny events in a burst holds the loop for all of them (tens of milliseconds in which the
// health endpoint, the other learners' keystrokes and every timer wait). Deferred, a flood
// interleaves with everyone else's work, one message at a time, and mostly slows its sender.
import { WebSocketServer, type ServerOptions } from 'ws';

export class InterleavingWsServer extends WebSocketServer {
  constructor(opts: ServerOptions) {
    super({ ...opts, allowSynchronousEvents: false });
  }
}
