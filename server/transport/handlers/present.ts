// The speaker's events (presenter mode): scripted demos, recording the session, sharing it with the
// audience. Each acts on the socket's own session; what it holds (a recording, a share) ends when
// the socket goes.
import type { ShareInfo } from '../../../common/present.js';
import { LabError } from '../../base/errors.js';
import type { DemoCatalog } from '../../demos/load.js';
import type { AudienceShares } from '../../session/audience.js';
import { SessionRecording } from '../../session/recording.js';
import type { Connection, Handlers } from '../connection.js';

export interface PresentDeps {
  demos: DemoCatalog;
  shares: AudienceShares;
  /** The audience listener's base URLs ("http://192.0.2.7:7682"), or none when it does not run. */
  audienceUrls(): string[];
}

interface Presenting {
  recording?: SessionRecording;
  share?: { code: string; stop: () => void };
}

export function presentHandlers(deps: PresentDeps): Handlers<'demo:list' | 'demo:open' | 'demo:reset' | 'demo:step' | 'record:start' | 'record:marker' | 'record:stop' | 'share:start' | 'share:stop'> {
  const state = new WeakMap<Connection, Presenting>();
  const of = (conn: Connection): Presenting => {
    let s = state.get(conn);
    if (!s) {
      const created: Presenting = {};
      state.set(conn, created);
      conn.onClose(() => {
        created.recording?.stop();
        created.share?.stop();
      });
      s = created;
    }
    return s;
  };
  const demo = (id: string) => {
    const found = deps.demos.get(id);
    if (!found) throw new LabError('not_found', `no demo "${id}"`);
    return found;
  };
  const step = (id: string, n: number) => {
    const d = demo(id);
    const s = d.view.steps[n];
    if (!s) throw new LabError('not_found', `demo "${id}" has ${d.view.steps.length} steps, not step ${n + 1}`);
    return { d, s };
  };
  return {
    'demo:list': () => deps.demos.summaries(),
    'demo:open': (req) => demo(req.demoId).view,
    'demo:reset': async (req, conn) => {
      const { d, s } = step(req.demoId, req.step);
      const spec = await conn.started().resetToStep(s.settings, `Step ${s.index + 1}: ${s.title}`, d.setup[s.index] ?? null);
      return { spec };
    },
    'demo:step': (req, conn) => {
      const { s } = step(req.demoId, req.step);
      conn.started().marker(`Step ${s.index + 1}: ${s.title}`);
      return null;
    },
    'record:start': (req, conn) => {
      const session = conn.started();
      const p = of(conn);
      if (p.recording) throw new LabError('bad_request', 'already recording: stop the recording first');
      p.recording = SessionRecording.start(session, { input: req.input ?? false, status: (status) => conn.socket.emit('record:status', status) });
      return p.recording.started;
    },
    'record:marker': (req, conn) => {
      const p = of(conn);
      if (!p.recording) throw new LabError('bad_request', 'nothing is being recorded: press Record first');
      p.recording.marker(req.label);
      return null;
    },
    'record:stop': (_req, conn) => {
      const p = of(conn);
      if (!p.recording) throw new LabError('bad_request', 'nothing is being recorded: press Record first');
      const recording = p.recording.stop();
      p.recording = undefined;
      return recording;
    },
    'share:start': (_req, conn) => {
      const session = conn.started();
      const p = of(conn);
      p.share ??= deps.shares.share(session);
      const path = `/w/${p.share.code}`;
      const urls = deps.audienceUrls().map((base) => `${base}${path}`);
      const info: ShareInfo = { code: p.share.code, path, urls };
      if (!urls.length) info.note = 'no audience listener runs: start the server with --audience HOST:PORT (e.g. 0.0.0.0:7682) to give the room a link';
      return info;
    },
    'share:stop': (_req, conn) => {
      const p = of(conn);
      p.share?.stop();
      p.share = undefined;
      return null;
    },
  };
}
