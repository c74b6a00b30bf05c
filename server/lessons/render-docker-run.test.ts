// The ```docker-run fence: the lesson's own settings as a `docker run` line (common/export.ts).
import { describe, expect, it } from 'vitest';
import { DOCKER_RUN_DEFAULT, PLAIN_PROCESS, applySpecChange } from '../../common/spec.js';
import { compileLesson } from './load.js';
import { fenceKind, renderMarkdown } from './render.js';

const decode = (html: string) => html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('```docker-run', () => {
  it('is its own kind of fence, not click-to-run', () => {
    expect(fenceKind('docker-run')).toEqual({ kind: 'docker-run', lang: 'sh' });
  });

  it('writes the settings as docker run options, one a line, then the image and the command', () => {
    const spec = applySpecChange(DOCKER_RUN_DEFAULT, { user: { uid: 1000, gid: 1000 }, capabilities: [], noNewPrivs: true, network: { mode: 'loopback', rate: null } });
    const html = renderMarkdown('```docker-run\nIMAGE sh -l\n```', { settings: spec });
    expect(html).not.toContain('class="cmd"');
    const code = decode(/<code class="language-sh">([\s\S]*?)<\/code>/.exec(html)![1]!);
    expect(code.split('\n')).toEqual([
      'docker run --rm -it \\',
      '  --network none \\',
      '  --user 1000:1000 \\',
      '  --cap-drop ALL \\',
      '  --security-opt no-new-privileges \\',
      '  IMAGE sh -l',
    ]);
    // Nothing docker cannot say: no list under the line.
    expect(html).not.toContain('docker-unsupported');
  });

  it('lists what docker has no option for under the line', () => {
    const spec = applySpecChange(DOCKER_RUN_DEFAULT, { namespaces: { ...DOCKER_RUN_DEFAULT.namespaces, user: true } });
    const html = renderMarkdown('```docker-run\nIMAGE\n```', { settings: spec });
    expect(html).toMatch(/<ul class="docker-unsupported"><li>a user namespace for one container: [^<]*<\/li><\/ul>/);
  });

  // Docker's own default is a private cgroup namespace on cgroup v2 and the host's on v1, so on a v1
  // host the line must ask for it, as the live At work panel does (lesson 17 once printed it without).
  it('asks for a private cgroup namespace on a cgroup v1 host only', () => {
    const html = (hostCgroupVersion: 1 | 2) => decode(renderMarkdown('```docker-run\nIMAGE\n```', { settings: DOCKER_RUN_DEFAULT, hostCgroupVersion }));
    expect(html(1)).toContain('--cgroupns private');
    expect(html(2)).not.toContain('--cgroupns');
  });

  it('without settings it is plain code', () => {
    expect(renderMarkdown('```docker-run\nIMAGE\n```')).toBe('<pre><code class="language-sh">IMAGE</code></pre>\n');
  });

  it('a lesson renders it with its own resolved settings; an empty fence is an error with its line', () => {
    const lesson = (body: string) =>
      compileLesson(
        ['---', 'id: 00-x', 'title: X', 'primitive: process', 'settings: { noNewPrivs: true }', 'tasks: [{ id: t, title: T }]',
          'checks: [{ id: c, task: t, title: C, all: [{ fact: session.shellPid, op: exists }], hints: [{ text: H }] }]', 'solution: ["true"]', '---', body].join('\n'),
        { file: 'x.md', folder: '00-x', previous: PLAIN_PROCESS },
      );
    const ok = lesson('```sh run\ntrue\n```\n\n```docker-run\nIMAGE\n```');
    expect(ok.ok).toBe(true);
    if (ok.ok) expect(decode(ok.lesson.html)).toContain('--security-opt no-new-privileges');
    const empty = lesson('```sh run\ntrue\n```\n\n```docker-run\n```');
    expect(empty).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/a docker-run fence names no image/) }] });
  });
});
