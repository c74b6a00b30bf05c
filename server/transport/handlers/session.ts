// session:start: a new learner's session on this socket, while the server has room for one.
import { randomUUID } from 'node:crypto';
import { LabError } from '../../base/errors.js';
import { Session, type SessionDeps } from '../../session/session.js';
import type { Handlers } from '../connection.js';

export interface SessionComponents {
  session: SessionDeps;
  /** Every live session of this server, by id. */
  sessions: Map<string, Session>;
  /** More learners than this get "server_full" instead of a shell. */
  maxSessions: number;
}

export function sessionHandlers({ session: deps, sessions, maxSessions }: SessionComponents): Handlers<'session:start'> {
  return {
    'session:start': async (req, conn) => {
      if (conn.session) throw new LabError('bad_request', 'this connection already has a session');
      if (sessions.size >= maxSessions) throw new LabError('server_full', `this server is full (${maxSessions} learners); try again later`);
      const id = randomUUID();
      const s = new Session(deps, conn.sessionOutput());
      conn.session = s;
      sessions.set(id, s);
      const end = conn.onClose(() => {
        sessions.delete(id);
        s.dispose();
      });
      try {
        await s.start({ cols: req.cols, rows: req.rows }, req.lessonId, req.learnerId);
      } catch (err) {
        // A failed start owns nothing any more: free the slot so the learner can simply retry.
        conn.release(end);
        conn.session = undefined;
        throw err;
      }
      return {
        sessionId: id,
        mode: deps.mode,
        spec: s.currentSpec,
        lessons: deps.lessons.summaries(),
        lockedOn: [...s.floorToggles],
        ceilings: s.ceilingWords,
        progress: s.progress(),
      };
    },
  };
}
