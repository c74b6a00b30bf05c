// The learner's terminal: keystrokes in, its size, and the acks that drive output flow control.
import type { Handlers } from '../connection.js';

export function termHandlers(): Handlers<'term:input' | 'term:resize' | 'term:ack'> {
  return {
    'term:input': (data, conn) => conn.started().input(data),
    'term:resize': (size, conn) => conn.started().resize(size),
    'term:ack': (ack, conn) => conn.started().ack(ack.bytes),
  };
}
