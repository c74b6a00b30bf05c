// The container's settings: a switch of the board, live cgroup limits, the settings editor's Apply.
import type { Handlers } from '../connection.js';

export function sandboxHandlers(): Handlers<'sandbox:toggle' | 'sandbox:limits' | 'sandbox:apply'> {
  return {
    'sandbox:toggle': async (req, conn) => ({ spec: await conn.started().toggle(req.toggle, req.on) }),
    'sandbox:limits': async (req, conn) => ({ spec: await conn.started().updateLimits(req) }),
    'sandbox:apply': (req, conn) => conn.started().applySpec(req.spec),
  };
}
