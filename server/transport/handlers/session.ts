// session:start: a new learner's session on this socket, while the server has room for one.
// session:resume: the session a dropped connection left behind, re-attached to this socket with its
// screen (session/resumable.ts); the session outlives its socket by the grace period.
import { randomUUID } from 'node:crypto';
import type { SessionInfo } from '../../../common/protocol.js';
import { LabError } from '../../base/errors.js';
import { OutputRelay } from '../../session/output-relay.js';
import type { ResumableSessions } from '../../session/resumable.js';
import { Session, type SessionDeps } from '../../session/session.js';
import type { Connection, Handlers } from '../connection.js';

export interface SessionComponents {
  session: SessionDeps;
  /** Every live session of this server, attached or waiting for its page. */
  sessions: ReadonlyMap<string, Session>;
  resumable: ResumableSessions;
  /** More learners than this get "server_full" instead of a shell. */
  maxSessions: number;
}

export function sessionHandlers({ session: deps, sessions, resumable, maxSessions }: SessionComponents): Handlers<'session:start' | 'session:resume'> {
  const info = (id: string, s: Session, token: string): SessionInfo => ({
    sessionId: id,
    mode: deps.mode,
    spec: s.currentSpec,
    lessons: deps.lessons.summaries(),
    lockedOn: [...s.floorToggles],
    ceilings: s.ceilingWords,
    progress: s.progress(),
    resume: { token, graceSeconds: Math.round(resumable.graceMs / 1000) },
  });
  /** From now on CONN holding session ID ends with its socket: the session then waits for a re-attach. */
  const holdUntilClosed = (conn: Connection, id: string) => conn.onClose(() => resumable.detach(id, conn));

  return {
    'session:start': async (req, conn) => {
      if (conn.session) throw new LabError('bad_request', 'this connection already has a session');
      if (sessions.size >= maxSessions) throw new LabError('server_full', `this server is full (${maxSessions} learners); try again later`);
      const id = randomUUID();
      const relay = new OutputRelay(conn.sessionOutput());
      const s = new Session(deps, relay);
      conn.session = s;
      const token = resumable.add(id, s, relay, conn);
      const held = holdUntilClosed(conn, id);
      try {
        await s.start({ cols: req.cols, rows: req.rows }, req.lessonId, req.learnerId);
      } catch (err) {
        // A failed start owns nothing any more: free the slot so the learner can simply retry.
        resumable.end(id);
        conn.release(held);
        conn.session = undefined;
        throw err;
      }
      return info(id, s, token);
    },

    'session:resume': async (req, conn) => {
      if (conn.session) throw new LabError('bad_request', 'this connection already has a session');
      const found = resumable.take(req.token, conn);
      if (!found) throw new LabError('not_found', 'that shell has ended (or the token is not one of this server\'s): start a new session');
      const { id, session: s, relay } = found;
      conn.session = s;
      relay.attach(conn.sessionOutput());
      holdUntilClosed(conn, id);
      // The screen is the first term:output frame, ahead of whatever the shell printed meanwhile.
      relay.open(await s.reattach({ cols: req.cols, rows: req.rows }));
      const lessonId = s.openLessonId;
      return {
        ...info(id, s, found.token),
        lesson: lessonId ? (deps.lessons.view(lessonId) ?? null) : null,
        shellPid: s.shellPid,
        ready: relay.shellReady,
        exitCode: relay.shellExitCode,
        inputChars: s.inputChars,
      };
    },
  };
}
