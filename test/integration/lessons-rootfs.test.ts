// Lesson 4's chroot, for real: in solo mode the lesson's shell is chrooted and the escape reaches
// the host's root; a workshop server never starts a chroot container (the floor turns it into
// pivot_root, and the settings editor cannot ask for it), so there the same escape climbs nowhere.
// Asserted from inside (the escape's own report) and outside (the host's facts about the shell).
// Needs root and `npm run setup`.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMode } from '../../common/protocol.js';
import { StatusServer } from '../../server/runtime/status-lines.js';
import { catalogOf } from '../../server/lessons/catalog.js';
import { loadLessons } from '../../server/lessons/load.js';
import { defaultPaths } from '../../server/base/paths.js';
import { Session } from '../../server/session/session.js';
import { sessionDeps } from '../../server/session/session-deps.js';
import { eventually } from '../helpers/launcher-run.js';

const paths = defaultPaths();
const LESSON = '04-root-filesystem';

interface Escape {
  escaped: boolean;
  climbed: number;
  after: { dev: number; ino: number };
}

describe('lesson 4: chroot in solo mode, pivot_root on a workshop server', () => {
  let status: StatusServer;
  beforeAll(async () => {
    status = await StatusServer.start();
  });
  afterAll(async () => {
    await status.close();
  });

  async function open(mode: ServerMode) {
    const { lessons } = await loadLessons(paths.lessons);
    const deps = sessionDeps({ paths, status, lessons: catalogOf(lessons), mode });
    let text = '';
    const session: Session = new Session(deps, {
      output: (frame) => {
        text += frame.toString();
        session.ack(frame.length);
        if (frame.toString().includes('\x1b[6n')) session.input('\x1b[1;1R');
      },
      ready: () => {},
      exit: () => {},
      error: () => {},
      inspector: () => {},
      lessonStatus: () => {},
      limits: () => {},
      progress: () => {},
    });
    await session.start({ cols: 200, rows: 40 }, LESSON);
    const escape = async (): Promise<Escape> => {
      const from = text.length;
      session.input('isolab-chroot-escape --json\r');
      const line = await eventually(() => /^\{"escaped".*\}\s*$/m.exec(text.slice(from))?.[0], 'the escape report', 10_000);
      return JSON.parse(line) as Escape;
    };
    /** The host's view of the shell's process tree, once the facts have one. */
    const shellTree = () => eventually(async () => (await session.gatherFacts()).tree ?? undefined, 'the host\'s view of the shell', 10_000);
    return { session, escape, shellTree };
  }

  /** The host's root directory, where an escape from a chroot lands. */
  const hostRoot = () => ({ dev: statSync('/').dev, ino: statSync('/').ino });

  it('solo: the shell is chrooted, and the escape climbs out to the host\'s root', async () => {
    const { session, escape, shellTree } = await open('solo');
    try {
      expect(session.currentSpec.filesystem.rootMode).toBe('chroot');
      const tree = await shellTree();
      expect(tree.shell).toMatchObject({ root: 'own', rootTop: false });
      const report = await escape();
      expect(report.escaped).toBe(true);
      expect(report.climbed).toBeGreaterThan(0);
      expect(report.after).toEqual(hostRoot());
    } finally {
      session.dispose();
    }
  });

  it('workshop: the same lesson gets pivot_root, the escape climbs nowhere, and the settings editor cannot ask for chroot', async () => {
    const { session, escape, shellTree } = await open('workshop');
    try {
      expect(session.currentSpec.filesystem.rootMode).toBe('pivot');
      const tree = await shellTree();
      expect(tree.shell).toMatchObject({ root: 'own', rootTop: true });
      const report = await escape();
      expect(report).toMatchObject({ escaped: false, climbed: 0 });
      expect(report.after).not.toEqual(hostRoot());
      const chroot = { ...session.currentSpec, filesystem: { ...session.currentSpec.filesystem, rootMode: 'chroot' as const } };
      await expect(session.applySpec(chroot)).rejects.toMatchObject({
        code: 'forbidden',
        issues: [{ path: ['spec', 'filesystem', 'rootMode'], message: expect.stringMatching(/always uses pivot_root/) }],
      });
      expect(session.currentSpec.filesystem.rootMode).toBe('pivot');
    } finally {
      session.dispose();
    }
  });
});
