// A workshop session's limits in a real browser: the page warns before the idle timeout and before
// the maximum length, typing withdraws an idle warning, at the end the page says why and stops; and
// a page over the per-address connection cap says why it got no shell, while the first goes on.
import { afterEach, describe, expect, it } from 'vitest';
import { openLabPage, type LabPage } from '../helpers/browser.js';

let lab: LabPage | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

/** The page's banners' text, in order. */
const banners = (l: LabPage) => l.page.locator('.alert-text').allTextContents();

describe('session limits in the page', () => {
  it('warns before the idle end, takes the warning back when the learner types, and ends when idle again', async () => {
    // Short limits so the test runs in seconds: warned at half the idle timeout.
    lab = await openLabPage(undefined, { mode: 'workshop', sessionLimits: { idleMs: 6000, maxMs: 0 } });
    await lab.goto('');
    await lab.waitForTerminal(/[#$] $/m);
    await lab.page.getByText(/This session ends in \d+ seconds: nothing was typed for a while\./).waitFor({ timeout: 10_000 });
    await lab.typeCommand('echo still-here');
    await lab.page.getByText(/nothing was typed for a while/).waitFor({ state: 'detached', timeout: 5000 });
    // Idle again: warned again, then ended with the reason, and the page is disconnected.
    await lab.page.getByText(/This session ended because nothing was typed for a while/).waitFor({ timeout: 15_000 });
    await lab.page.waitForFunction(() => !(window as unknown as { isolab: { socketConnected(): boolean } }).isolab.socketConnected());
    expect((await banners(lab)).filter((t) => /This session ends in/.test(t))).toEqual([]);
  });

  it('warns before the maximum length however busy the learner is, then ends the session', async () => {
    lab = await openLabPage(undefined, { mode: 'workshop', sessionLimits: { idleMs: 0, maxMs: 8000 } });
    await lab.goto('');
    await lab.waitForTerminal(/[#$] $/m);
    await lab.page.getByText(/This session ends in \d+ seconds: it has lasted as long as this server allows\./).waitFor({ timeout: 10_000 });
    await lab.typeCommand('echo busy');
    await lab.page.getByText(/reached the longest a session may last on this server/).waitFor({ timeout: 10_000 });
    await lab.page.waitForFunction(() => !(window as unknown as { isolab: { socketConnected(): boolean } }).isolab.socketConnected());
  });

  it('a second page over a cap of one connection per address is told why, and the first keeps its shell', async () => {
    lab = await openLabPage(undefined, { mode: 'workshop', maxConnectionsPerAddress: 1 });
    await lab.goto('');
    await lab.waitForTerminal(/[#$] $/m);
    const second = await lab.page.context().browser()!.newPage();
    await second.goto(`${lab.server.url}/?token=${lab.server.token}`);
    await second.getByText(/too many connections from your address \(at most 1\)/).waitFor({ timeout: 10_000 });
    const from = (await lab.terminalText()).length;
    await lab.typeCommand('echo first-$((1+1))');
    await lab.waitForTerminal(/first-2/, from);
    await second.close();
  });
});
