// The inspector: what the shell sees next to what the host sees, read again on request.
import type { Handlers } from '../connection.js';

export function inspectorHandlers(): Handlers<'inspector:refresh'> {
  return {
    'inspector:refresh': (_none, conn) => conn.started().inspect(),
  };
}
