// The comparison panel (container vs host vs gVisor vs VM); not_found on a server that does not offer it.
import type { Handlers } from '../connection.js';

export function compareHandlers(): Handlers<'compare:open' | 'compare:close'> {
  return {
    'compare:open': (req, conn) => {
      conn.started();
      // The learner's column's probes run in their turn on the server-wide queue (compare-watch.ts);
      // the host's, gVisor's and the VM's are shared by every learner and cached.
      return conn.comparison().open(req.refresh ?? false);
    },
    'compare:close': (_none, conn) => conn.existingComparison()?.close(),
  };
}
