// "Why did that fail?": a command re-run in throwaway containers, one isolation layer lifted at a time.
import type { Handlers } from '../connection.js';

export function diagnoseHandlers(): Handlers<'diagnose:run'> {
  return {
    'diagnose:run': (req, conn) => conn.started().diagnose(req.command),
  };
}
