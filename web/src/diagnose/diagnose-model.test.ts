import { describe, expect, it } from 'vitest';
import type { DiagnoseLayer, DiagnoseRun, DiagnoseVerdict } from '../../../common/protocol.js';
import { commandProblem, lastCommandLine, panelStatus, verdictView } from './diagnose-model.js';

describe('lastCommandLine', () => {
  it('finds the last command run at a prompt, skipping the line the cursor is on', () => {
    const text = [
      'root@isolab:/# hostname',
      'isolab',
      'root@isolab:/# mount -t tmpfs none /mnt',
      'mount: permission denied (are you root?)',
      'root@isolab:/# ',
    ].join('\n');
    expect(lastCommandLine(text)).toBe('mount -t tmpfs none /mnt');
  });

  it('does not offer a half-typed line, and skips empty prompts', () => {
    expect(lastCommandLine('root@isolab:/tmp# touch /x\ntouch: /x: Read-only file system\nroot@isolab:/tmp# \nroot@isolab:/tmp# ech')).toBe('touch /x');
  });

  it('knows the host shell\'s prompt (user, host name with dots, a path) and $ for non-root', () => {
    expect(lastCommandLine('alice@lab.example.org:~/work$ ls -l /root\nls: cannot open directory \'/root\': Permission denied\nalice@lab.example.org:~/work$ ')).toBe('ls -l /root');
  });

  it('is empty when there is no prompt to read', () => {
    expect(lastCommandLine('')).toBe('');
    expect(lastCommandLine('>>> print(1)\n1\n>>> ')).toBe('');
    expect(lastCommandLine('root@isolab:/# ')).toBe('');
  });
});

describe('panelStatus', () => {
  it('says what the session is now: starting, there, or gone', () => {
    expect(panelStatus('starting', null, '')).toBe('Waiting for the shell to start…');
    expect(panelStatus('failed', null, '')).toBe('No session: the server could not start a shell.');
    expect(panelStatus('offline', null, 'Re-running `x`…')).toBe('No session: the connection to the server is down.');
    // Back again: the panel's own message, not the old "connection is down".
    expect(panelStatus('ready', null, '')).toBe('');
    expect(panelStatus('ready', null, 'Re-running `x` in throwaway containers…')).toBe('Re-running `x` in throwaway containers…');
  });

  it('names a line that cannot be sent first', () => {
    expect(panelStatus('ready', 'at most 1024 bytes', '')).toBe('This line cannot be re-run: at most 1024 bytes.');
  });
});

describe('commandProblem', () => {
  it('applies the server\'s rules before sending', () => {
    expect(commandProblem('mount -t tmpfs none /mnt')).toBeNull();
    expect(commandProblem('x'.repeat(1025))).toBe('at most 1024 bytes');
    expect(commandProblem('  ')).toBe('an empty command line');
  });
});

const run = (over: Partial<DiagnoseRun> = {}): DiagnoseRun => ({ outcome: 'refused', exitCode: 1, refusals: ['EROFS'], excerpt: 'touch: /x: Read-only file system', seccompRefused: [], ...over });
const layer = (id: DiagnoseLayer['layer'], title: string, effect: DiagnoseLayer['effect'], over: Partial<DiagnoseLayer> = {}): DiagnoseLayer => ({
  ...run(effect === 'works' ? { outcome: 'succeeded', exitCode: 0, refusals: [], excerpt: '' } : {}),
  layer: id,
  title,
  lifted: `${title} lifted`,
  succeeded: effect === 'works',
  effect,
  ...over,
});
const verdict = (over: Partial<DiagnoseVerdict>): DiagnoseVerdict => ({
  command: 'touch /x',
  reproduced: true,
  baseline: run(),
  layers: [],
  notLifted: [],
  combination: null,
  culprits: [],
  conclusion: 'words',
  adjustments: ['killed after 3 s'],
  runs: 3,
  elapsedMs: 420,
  ...over,
});

describe('verdictView', () => {
  it('heads with the layer that refused it, and marks each row', () => {
    const view = verdictView(
      verdict({
        layers: [layer('seccomp', 'seccomp filter', 'no-change'), layer('read-only-root', 'read-only root', 'works')],
        culprits: ['read-only-root'],
        baseline: run({ seccompRefused: [{ syscall: 'mount', call: 'mount(2)', errno: 'EPERM', program: 'mount' }] }),
      }),
    );
    expect(view).toMatchObject({ headline: 'Refused by: read-only root', kind: 'found', footer: '3 throwaway containers, 0.4 s' });
    expect(view.baseline).toEqual({ label: 'refused: "Read-only file system"', excerpt: 'touch: /x: Read-only file system', calls: ['mount(2) → EPERM, from mount'] });
    expect(view.rows.map((r) => [r.id, r.label, r.tone])).toEqual([
      ['seccomp', 'still refused', 'neutral'],
      ['read-only-root', 'it worked', 'culprit'],
    ]);
  });

  it('joins a combination with "+"', () => {
    const view = verdictView(
      verdict({
        layers: [layer('capabilities', 'capabilities', 'no-change'), layer('device-cgroup', 'device cgroup', 'no-change')],
        culprits: ['capabilities', 'device-cgroup'],
        combination: { layers: ['capabilities', 'device-cgroup'], run: run({ outcome: 'succeeded', exitCode: 0, refusals: [] }) },
      }),
    );
    expect(view.headline).toBe('Refused by: capabilities + device cgroup');
    expect(view.combination).toBe('capabilities + device cgroup lifted together: succeeded (exit 0)');
  });

  it.each([
    [verdict({ layers: [layer('seccomp', 'seccomp filter', 'no-change')], baseline: run({ outcome: 'failed', refusals: [] }) }), 'No isolation layer refused it', 'none'],
    [verdict({ reproduced: false, baseline: run({ outcome: 'succeeded', exitCode: 0, refusals: [] }), runs: 1 }), 'It did not fail here', 'other'],
    [verdict({ reproduced: false, baseline: run({ outcome: 'timeout', exitCode: null }) }), 'It did not finish', 'other'],
    [verdict({ reproduced: false, baseline: run({ outcome: 'not-started', note: 'x' }) }), 'It could not be re-run', 'other'],
  ])('%#: %s', (v, headline, kind) => {
    expect(verdictView(v)).toMatchObject({ headline, kind });
  });

  it('says one container in the singular, and what a run that never ran means', () => {
    const view = verdictView(verdict({ runs: 1, layers: [layer('landlock', 'Landlock', 'not-run')] }));
    expect(view.footer).toBe('1 throwaway container, 0.4 s');
    expect(view.rows[0]).toMatchObject({ label: 'not tried: the diagnosis ran out of time', tone: 'unknown' });
  });
});
