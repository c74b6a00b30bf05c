// The comparison panel (container vs host vs gVisor vs VM); not_found on a server that does not offer it.
import type { Handlers } from '../connection.js';

export function compareHandlers(): Handlers<'compare:open' | 'compare:close'> {
  return {
    'compare:open': (req, conn) => {
      const refresh = req.refresh ?? false;
      // Measuring the columns runs probes: in this learner's turn on the server-wide queue.
      return conn.started().queued(`compare:${refresh}`, () => conn.comparison().open(refresh));
    },
    'compare:close': (_none, conn) => conn.existingComparison()?.close(),
  };
}
