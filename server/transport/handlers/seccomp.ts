// The seccomp editor: the profile it opens with, and its Apply (the shell then runs under it).
import type { Handlers } from '../connection.js';

export function seccompHandlers(): Handlers<'seccomp:get' | 'seccomp:apply'> {
  return {
    'seccomp:get': (_none, conn) => conn.started().seccompView(),
    'seccomp:apply': (req, conn) => conn.started().applySeccompProfile(req.profile),
  };
}
