// `isolab demos verify`: both shipped demos, given in a real shell (the Session a browser gets),
// every step's settings applied and every command typed; and verify catches a demo that cannot be
// given. Outside, nothing of the talk is left running on the host.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPaths } from '../../server/base/paths.js';
import { verifyDemos } from '../../server/main/demos-verify.js';
import { descendantsOf, listProcesses } from '../../server/observe/proc.js';

const paths = defaultPaths();
const scratch = mkdtempSync(join(tmpdir(), 'isolab-demos-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('isolab demos verify', () => {
  it('gives both shipped demos from start to end, and leaves nothing running', async () => {
    const { verdicts, loadErrors } = await verifyDemos({ dir: paths.demos, paths });
    expect(loadErrors).toEqual([]);
    expect(verdicts.map((v) => [v.id, v.passed, v.reason ?? ''])).toEqual([
      ['containers-are-processes', true, ''],
      ['escape-weak-container', true, ''],
    ]);
    await new Promise((r) => setTimeout(r, 300));
    const below = descendantsOf(process.pid, await listProcesses());
    expect(below.filter((p) => ['isolab-launcher', 'sleep', 'sh'].includes(p.comm))).toEqual([]);
  });

  it('fails a demo whose command does not exist, naming the step and the command', async () => {
    writeFileSync(
      join(scratch, 'broken.yaml'),
      ['title: Broken', 'summary: A command that is not in the image.', 'minutes: 1', 'steps:', '  - { id: one, title: One, settings: { namespaces: { mount: true }, rootfs: true }, commands: [no-such-tool --now] }'].join('\n'),
    );
    const { verdicts } = await verifyDemos({ dir: scratch, paths });
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ id: 'broken', passed: false, reason: expect.stringMatching(/^step 1 \(one\): "no-such-tool --now" could not run: .*not found/) });
  });
});
