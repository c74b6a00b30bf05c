// A scripted demo in presenter mode, in Debian's chromium against a real lab: Run types the step's
// commands into the real shells (the container's and the host's beside it), a reset gives the
// step's banner, the speaker view follows in a second window, Record → Stop downloads a cast with
// the step markers that replays in the page (and Plan B plays a step of it), and Share gives a QR
// code and a link whose page shows what the speaker types.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parseAsciicast } from '../../common/asciicast.js';
import { hook, launchChromium, terminalText, waitForTerminal } from '../helpers/browser.js';
import { startLab, type RunningLab } from '../helpers/lab.js';

const demos = mkdtempSync(join(tmpdir(), 'isolab-e2e-demos-'));
let lab: RunningLab;
let chromium: { browser: Browser; close(): Promise<void> };
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  writeFileSync(
    join(demos, 'stage.yaml'),
    [
      'title: Stage',
      'summary: Two steps on stage.',
      'minutes: 2',
      'steps:',
      '  - id: plain',
      '    title: A plain process',
      '    notes: "Say **plainly**: a shell is a process."',
      '    commands: ["echo first-$((40+2))", "echo second-$((1+1))"]',
      '    hostCommands: [\'echo "host is $(hostname)"\']',
      '  - id: own-name',
      '    title: Its own name',
      '    notes: The UTS namespace.',
      '    settings: { namespaces: { uts: true }, hostname: stage }',
      '    commands: [hostname]',
    ].join('\n'),
  );
  lab = await startLab({ demos, audience: true });
  chromium = await launchChromium();
  context = await chromium.browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (err) => console.error('[page error]', err));
  await page.goto(`${lab.url}/?token=${lab.token}&present&demo=stage`);
  await page.waitForFunction(() => (window as unknown as { isolab: { demoId(): string } }).isolab.demoId() === 'stage', undefined, { timeout: 20_000 });
  await waitForTerminal(page, /Step 1: A plain process[\s\S]*[#$] $/, 0, 20_000);
});

afterAll(async () => {
  await chromium?.close();
  await lab?.close();
  rmSync(demos, { recursive: true, force: true });
});

const where = () => page.getByTestId('step-where').textContent();
const hostText = () => hook(page, 'hostTerminalText' as never) as unknown as Promise<string>;

describe('a scripted demo in presenter mode', () => {
  it('?demo=ID opens the demo: its steps in the panel, the picker on it, the host shell beside the terminal', async () => {
    expect(await where()).toBe('Stage · Step 1 of 2');
    expect(await page.getByTestId('demo-picker').inputValue()).toBe('stage');
    expect(await page.getByTestId('step-command').textContent()).toContain('$ echo first-$((40+2))');
    await page.getByTestId('host-terminal').waitFor({ state: 'visible' });
    const [container, host] = await Promise.all(['terminal', 'host-terminal'].map((id) => page.getByTestId(id).boundingBox()));
    expect(container!.x + container!.width).toBeLessThanOrEqual(host!.x + 1);
  });

  it('Run types each command into the container’s shell, then the host command into the host’s, and moves on', async () => {
    const from = (await terminalText(page)).length;
    await page.getByTestId('step-run').click();
    await waitForTerminal(page, /first-42/, from);
    await page.keyboard.press('Alt+Enter');
    await waitForTerminal(page, /second-2/, from);
    // Typed, not pasted: the command line shows the text as typed, then the shell's answer.
    expect((await terminalText(page)).slice(from)).toContain('echo first-$((40+2))');
    expect(await where()).toBe('Stage · Step 1 of 2');
    await page.waitForFunction(() => !document.querySelector('[data-testid="step-command"] [data-state="next"]')?.textContent?.includes('second'));
    await page.keyboard.press('Alt+Enter');
    await page.waitForFunction((name) => (window as unknown as { isolab: { hostTerminalText(): string } }).isolab.hostTerminalText().includes(`host is ${name}`), hostname(), { timeout: 15_000 });
    expect(await hostText()).toContain(`host is ${hostname()}`);
    // Nothing left on the step: the next Run goes on, into a shell with the step's settings.
    const before = (await hook(page, 'lastReady'))!.pid;
    await page.keyboard.press('Alt+Enter');
    expect(await where()).toBe('Stage · Step 2 of 2');
    await page.waitForFunction((pid) => (window as unknown as { isolab: { lastReady(): { pid: number } } }).isolab.lastReady().pid !== pid, before, { timeout: 20_000 });
    const at = (await terminalText(page)).lastIndexOf('Step 2: Its own name');
    await waitForTerminal(page, /[#$] $/, at);
    await page.keyboard.press('Alt+Enter');
    await waitForTerminal(page, /hostname\r?\n?stage/, at);
  });

  it('Reset to this step gives a fresh shell with the step’s banner', async () => {
    const from = (await terminalText(page)).length;
    await page.getByTestId('demo-reset').click();
    await waitForTerminal(page, /Step 2: Its own name[\s\S]*[#$] $/, from, 20_000);
    expect((await hook(page, 'lastReady'))!.spec['hostname']).toBe('stage');
  });

  it('the speaker view, a second window, shows the notes and the next step and follows the main window', async () => {
    const [speaker] = await Promise.all([context.waitForEvent('page'), page.getByTestId('speaker-open').click()]);
    await speaker.waitForFunction(() => document.querySelector('[data-testid="speaker-where"]')?.textContent === 'Stage · Step 2 of 2');
    expect(await speaker.getByTestId('speaker-notes').innerHTML()).toContain('UTS namespace');
    expect(await speaker.getByTestId('speaker-next').textContent()).toBe('The end of the demo.');
    await page.keyboard.press('Alt+PageUp');
    await speaker.waitForFunction(() => document.querySelector('[data-testid="speaker-where"]')?.textContent === 'Stage · Step 1 of 2');
    expect(await speaker.locator('[data-testid="speaker-notes"] strong').textContent()).toBe('plainly');
    expect(await speaker.getByTestId('speaker-next').textContent()).toBe('Step 2: Its own name');
    expect(await speaker.getByTestId('speaker-commands').textContent()).toContain('host$ echo "host is $(hostname)"');
    await speaker.close();
  });

  it('Record → Stop downloads an asciicast with the step markers; it replays in the page, and Plan B plays a step of it', async () => {
    await page.getByTestId('record').click();
    await page.waitForFunction(() => /^Recording/.test(document.querySelector('[data-testid="record-status"]')?.textContent ?? ''));
    await page.getByTestId('demo-reset').click(); // step 1 again: its marker, its shell
    await waitForTerminal(page, /Step 1: A plain process[\s\S]*[#$] $/, (await terminalText(page)).lastIndexOf('Step 2: Its own name'), 20_000);
    const from = (await terminalText(page)).length;
    await page.keyboard.press('Alt+Enter');
    await waitForTerminal(page, /first-42[\s\S]*[#$] $/, from);
    await page.keyboard.press('Alt+PageDown');
    await waitForTerminal(page, /Step 2: Its own name[\s\S]*[#$] $/, from, 20_000);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('record').click()]);
    expect(download.suggestedFilename()).toMatch(/^isolab-stage-.*\.cast$/);
    const cast = parseAsciicast(readFileSync((await download.path())!, 'utf8'));
    if (!cast.ok) throw new Error(cast.error);
    expect(cast.header.version).toBe(2);
    const markers = cast.events.filter((e) => e[1] === 'm').map((e) => e[2]);
    expect(markers.some((m) => m.startsWith('Step 1: A plain process'))).toBe(true);
    expect(markers.some((m) => m.startsWith('Step 2: Its own name'))).toBe(true);
    expect(cast.events.some((e) => e[1] === 'o' && e[2].includes('first-42'))).toBe(true);
    expect(await page.getByTestId('record-status').textContent()).toMatch(/^Recorded \d+/);

    // The whole recording, in the page's player.
    await page.getByTestId('record-replay').click();
    await page.locator('[data-testid="replay-screen"] .ap-player').waitFor({ state: 'visible', timeout: 10_000 });
    await page.getByTestId('replay-close').click();
    expect(await page.getByTestId('replay').isVisible()).toBe(false);

    // Plan B on step 1: its part of the rehearsal, in place, with what was typed then.
    await page.keyboard.press('Alt+PageUp');
    await page.getByTestId('demo-plan-b').waitFor({ state: 'visible' });
    await page.getByTestId('demo-plan-b').click();
    await page.locator('[data-testid="replay-screen"] .ap-player').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('.replay-title').textContent()).toBe('Rehearsal · Step 1: A plain process');
    await page.waitForFunction(() => document.querySelector('[data-testid="replay-screen"]')?.textContent?.includes('first-42'), undefined, { timeout: 15_000 });
    await page.keyboard.press('Escape');
    expect(await page.getByTestId('replay').isVisible()).toBe(false);
  });

  it('the rehearsal is kept in the browser: after a reload, Plan B is still there', async () => {
    await page.reload();
    await page.waitForFunction(() => (window as unknown as { isolab: { demoId(): string } }).isolab.demoId() === 'stage', undefined, { timeout: 20_000 });
    await page.getByTestId('demo-plan-b').waitFor({ state: 'visible' });
  });

  it('Share shows a QR code and the link; the audience’s page on that link shows what the speaker types', async () => {
    await page.getByTestId('share').click();
    await page.locator('[data-testid="share-qr"] svg').waitFor({ state: 'visible' });
    const code = (await page.getByTestId('share-code').textContent())!;
    expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
    const link = (await page.getByTestId('share-link').first().getAttribute('href'))!;
    expect(link).toBe(`${lab.audienceUrls[0]}/w/${code}`);
    const viewer = await context.newPage();
    viewer.on('pageerror', (err) => console.error('[viewer page error]', err));
    try {
      await viewer.goto(link);
      await viewer.waitForFunction(() => document.querySelector('[data-testid="watch-status"]')?.textContent !== 'Connecting…', undefined, { timeout: 10_000 });
      expect(await viewer.getByTestId('watch-status').textContent()).toBe('Live');
      await page.getByTestId('terminal').click();
      await page.keyboard.type('echo to-the-room-$((6*7))');
      await page.keyboard.press('Enter');
      await viewer.waitForFunction(() => (window as unknown as { isolabWatch: { text(): string } }).isolabWatch.text().includes('to-the-room-42'), undefined, { timeout: 10_000 });
    } finally {
      await viewer.close();
    }
    // Stopping asks the server first (share:stop): the card goes once it has answered.
    await page.getByTestId('share').click();
    await page.getByTestId('share-card').waitFor({ state: 'hidden', timeout: 10_000 });
  });
});

describe('without an audience listener', () => {
  it('Share says why there is no link (the server’s note)', async () => {
    const plain = await startLab({ demos });
    const other = await context.newPage();
    try {
      other.on('pageerror', (err) => console.error('[page error]', err));
      await other.goto(`${plain.url}/?token=${plain.token}&present`);
      await waitForTerminal(other, /[#$] $/m, 0, 30_000);
      await other.getByTestId('share').click();
      await other.waitForFunction(() => (document.querySelector('[data-testid="share-card"]')?.textContent ?? '') !== '', undefined, { timeout: 20_000 });
      expect(await other.getByTestId('share-card').textContent()).toMatch(/--audience/);
      expect(await other.locator('[data-testid="share-qr"]').count()).toBe(0);
    } finally {
      await other.close();
      await plain.close();
    }
  }, 90_000);
});
