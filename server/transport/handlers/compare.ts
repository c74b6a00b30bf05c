// The comparison panel (container vs host vs gVisor vs VM); not_found on a server that does not offer it.
import type { Handlers } from '../connection.js';

export function compareHandlers(): Handlers<'compare:open' | 'compare:close'> {
  return {
    'compare:open': (req, conn) => {
      conn.started();
      return conn.comparison().open(req.refresh ?? false);
    },
    'compare:close': (_none, conn) => conn.existingComparison()?.close(),
  };
}
