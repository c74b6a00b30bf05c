// A learner's network drops (the relay between the page and the server is cut, as a laptop's sleep
// or a Wi-Fi change cuts it) and comes back within the grace: the page is back on the same shell
// (same PID, as `echo $$` and the host see it), its screen restored at the page's new size, the
// half-typed line and what was typed offline still there. A drop longer than the grace: a fresh
// shell, and the learner's lesson and progress kept. The grace is a few seconds here (60 s by default).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hook, openLabPage, terminalText, waitForTerminal, type LabPage } from '../helpers/browser.js';
import { CutProxy } from '../helpers/cut-proxy.js';

const GRACE_MS = 10_000;
let lab: LabPage;
let page: Page;
let proxy: CutProxy;

beforeAll(async () => {
  lab = await openLabPage({ width: 1440, height: 900 }, { resumeGraceMs: GRACE_MS });
  page = lab.page;
  proxy = await CutProxy.start(lab.server.url);
});

afterAll(async () => {
  await proxy?.close();
  await lab?.close();
});

/** What the shell printed for COMMAND, between markers it builds itself (the echoed line never matches). */
async function run(command: string): Promise<string> {
  const id = Math.random().toString(36).slice(2, 8);
  const from = (await terminalText(page)).length;
  await page.getByTestId('terminal').click();
  await page.keyboard.type(`printf '%s\\n' "<<${id}"; ${command}; printf '%s\\n' "${id}>>"`);
  await page.keyboard.press('Enter');
  await waitForTerminal(page, new RegExp(`<<${id}\\s*\\n[\\s\\S]*${id}>>`), from);
  const text = (await terminalText(page)).slice(from);
  return new RegExp(`<<${id}\\s*\\n([\\s\\S]*?)${id}>>`).exec(text)![1]!.trim();
}

const connected = (want: boolean) => page.waitForFunction((w) => (window as unknown as { isolab: { socketConnected(): boolean } }).isolab.socketConnected() === w, want, { timeout: 20_000 });

describe('a dropped connection', () => {
  it('comes back to the same shell, its screen restored at the new size, nothing typed lost', async () => {
    await page.goto(`${proxy.url}/?token=${lab.server.token}#/lesson/01-uts-namespace`);
    await waitForTerminal(page, /[#$] $/m);
    const pid = await run('echo $$');
    await run('echo before-the-drop');
    const hostPid = (await hook(page, 'lastReady'))!.pid;
    await page.keyboard.type('echo typed-before');

    proxy.cut();
    await connected(false);
    // Offline: the learner goes on typing, and the window changes size (a laptop off its dock).
    await page.keyboard.type('-and-offline');
    await page.setViewportSize({ width: 1100, height: 700 });
    await page.waitForTimeout(1_500);
    proxy.restore();
    await connected(true);

    // The screen came back from the server (the page's own was reset): what was there before the drop, the half-typed line too.
    await waitForTerminal(page, /before-the-drop[\s\S]*echo typed-before-and-offline$/m);
    expect(await terminalText(page)).not.toContain('connection lost');
    expect((await hook(page, 'lastReady'))!.pid).toBe(hostPid);
    const from = (await terminalText(page)).length;
    await page.keyboard.press('Enter');
    await waitForTerminal(page, /\ntyped-before-and-offline\s*\n/, from);
    expect(await run('echo $$')).toBe(pid);
    const size = (await hook(page, 'terminalSize'))!;
    expect(await run('stty size')).toBe(`${size.rows} ${size.cols}`);
  });

  it('after a drop longer than the grace, starts a fresh shell with the lesson and progress kept', async () => {
    const hostPid = (await hook(page, 'lastReady'))!.pid;
    const learnerId = await page.evaluate(() => window.localStorage.getItem('isolab.learner'));
    proxy.cut();
    await connected(false);
    await page.waitForTimeout(GRACE_MS + 2_000);
    proxy.restore();
    await connected(true);
    await waitForTerminal(page, /the shell you had has ended[\s\S]*[#$] $/);
    await page.waitForFunction((old) => {
      const ready = (window as unknown as { isolab: { lastReady(): { pid: number } | null } }).isolab.lastReady();
      return ready !== null && ready.pid !== old;
    }, hostPid);
    expect(page.url()).toContain('#/lesson/01-uts-namespace');
    expect(lab.server.progress.load(learnerId!).lastLesson).toBe('01-uts-namespace');
    expect(await run('echo fresh-$$')).toMatch(/^fresh-\d+$/);
  });
});
