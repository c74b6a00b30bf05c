// The editors in a real browser, keyboard first: the page loads without Monaco; opening the
// Settings tab fetches it; the settings are edited as JSON (a bad hostname is refused and marked,
// a good one gives a new shell whose `hostname` prints it); the code view shows the launcher's C
// source and follows the switches; the editor follows the theme; F6 leaves it; at 200% zoom it fits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, terminalText as pageTerminalText, waitForTerminal as pageWaitForTerminal } from '../helpers/browser.js';
import { startLab, type RunningLab } from '../helpers/lab.js';

let lab: RunningLab;
let chromium: { browser: Browser; close(): Promise<void> };
let page: Page;
const requests: string[] = [];
const pageErrors: string[] = [];

/** What only the editor brings: its chunk, the JSON language, the workers, the icon font. */
const MONACO_ASSET = /\/assets\/(code-editors|jsonMode|cpp|editor\.worker|json\.worker|codicon)-[^/]*\.(js|css|ttf)$/;

const terminalText = () => pageTerminalText(page);

const waitForTerminal = (pattern: RegExp, from = 0) => pageWaitForTerminal(page, pattern, from, 20_000);

/** The text Monaco shows (its rendered lines; the JSON here fits the viewport around the cursor). */
const editorText = async (testId: string) => (await page.locator(`[data-testid="${testId}"] .view-lines`).innerText()).replace(/\u00a0/g, ' ');

/** Keyboard only: Ctrl+F, the text, Enter selects the match, Escape returns to the editor with it selected. */
async function selectInEditor(text: string): Promise<void> {
  await page.keyboard.press('Control+f');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
}

beforeAll(async () => {
  lab = await startLab();
  chromium = await launchChromium();
  page = await chromium.browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  page.on('pageerror', (err) => pageErrors.push(err.message));
});

afterAll(async () => {
  await chromium?.close();
  await lab?.close();
});

describe('the editors', () => {
  it('the first page load does not fetch Monaco', async () => {
    await page.goto(`${lab.url}/?token=${lab.token}#/lesson/01-uts-namespace`);
    await waitForTerminal(/[#$] $/m);
    await page.getByTestId('toggle-uts').waitFor();
    expect(requests.some((r) => /\/assets\/index-[^/]*\.js$/.test(r))).toBe(true);
    expect(requests.filter((r) => MONACO_ASSET.test(r))).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.dataset['editorLoaded'])).toBeUndefined();
  });

  it('opens the settings editor from the keyboard, and only then loads Monaco', async () => {
    await page.getByTestId('tab-lesson').focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('tab-settings');
    // Arrows only move focus: nothing is downloaded until the tab is opened.
    expect(requests.filter((r) => MONACO_ASSET.test(r))).toEqual([]);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="settings-editor"] .monaco-editor').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('tab-settings').getAttribute('aria-selected')).resolves.toBe('true');
    expect(requests.some((r) => /\/assets\/code-editors-[^/]*\.js$/.test(r))).toBe(true);
    await page.waitForFunction(() => document.querySelector('[data-testid="settings-editor"] .view-lines')?.textContent?.includes('"hostname"'));
    expect(await editorText('settings-editor')).toMatch(/"hostname":\s*"isolab"/);
  });

  it('a bad hostname is refused by the server: the field is listed and marked, the shell stays', async () => {
    const readiesBefore = await page.evaluate(() => (window as unknown as { isolab: { lastReady(): { pid: number } | null } }).isolab.lastReady()?.pid);
    await page.locator('[data-testid="settings-editor"] .monaco-editor .view-lines').click();
    await selectInEditor('isolab');
    await page.keyboard.type('Bad_Name');
    // The JSON Schema (from zod) already flags it while typing.
    await page.locator('[data-testid="settings-editor"] .squiggly-error').first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid="settings-status"]')?.getAttribute('data-kind') === 'error');
    expect(await page.getByTestId('settings-status').textContent()).toMatch(/^Not applied: .*hostname/);
    const problem = page.locator('[data-testid="settings-problems"] li[data-path="hostname"]');
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/hostname: hostname must be/);
    const pid = await page.evaluate(() => (window as unknown as { isolab: { lastReady(): { pid: number } | null } }).isolab.lastReady()?.pid);
    expect(pid).toBe(readiesBefore);
  });

  it('a good hostname is applied: a new shell, and `hostname` prints it', async () => {
    await page.locator('[data-testid="settings-editor"] .monaco-editor .view-lines').click();
    await selectInEditor('Bad_Name');
    await page.keyboard.type('my-box');
    const from = (await terminalText()).length;
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => /^Applied: hostname my-box/.test(document.querySelector('[data-testid="settings-status"]')?.textContent ?? ''), undefined, { timeout: 20_000 });
    await waitForTerminal(/settings edited · hostname my-box[\s\S]*[#$] $/, from);
    const after = (await terminalText()).length;
    await page.getByTestId('terminal').click();
    await page.keyboard.type('hostname');
    await page.keyboard.press('Enter');
    await waitForTerminal(/\r?\nmy-box\r?\n/, after);
    expect(await page.locator('[data-testid="settings-problems"] li').count()).toBe(0);
  });

  it('the code view shows the launcher\'s C source with the lesson\'s function highlighted', async () => {
    await page.getByTestId('tab-source').click();
    await page.locator('[data-testid="source-editor"] .monaco-editor').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="source-file"]')?.textContent === 'native/launcher/ns.c');
    await page.waitForFunction(() => document.querySelector('[data-testid="source-editor"] .view-lines')?.textContent?.includes('sethostname('));
    expect(await editorText('source-editor')).toMatch(/void lab_set_hostname\(const char \*name\)/);
    expect(await page.locator('[data-testid="source-editor"] .source-highlight').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('source-functions').textContent()).toMatch(/lab_set_hostname\(\) lines \d+–\d+/);
  });

  it('follows the switch just flipped (PID namespace → the clone() in main.c)', async () => {
    await page.getByTestId('toggle-pid').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="source-file"]')?.textContent === 'native/launcher/main.c', undefined, { timeout: 20_000 });
    expect(await page.getByTestId('source-functions').textContent()).toMatch(/run_container\(\)/);
    await page.waitForFunction(() => document.querySelector('[data-testid="toggle-pid"]')?.getAttribute('data-state') === 'on', undefined, { timeout: 20_000 });
  });

  it('Monaco follows the page\'s theme', async () => {
    const dark = () => page.evaluate(() => document.querySelector('[data-testid="source-editor"] .monaco-editor')?.classList.contains('vs-dark'));
    const before = await dark();
    await page.locator('#theme-toggle').click();
    await page.waitForFunction((was) => document.querySelector('[data-testid="source-editor"] .monaco-editor')?.classList.contains('vs-dark') !== was, before);
    expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe(before ? 'light' : 'dark');
    await page.locator('#theme-toggle').click();
    await page.waitForFunction((was) => document.querySelector('[data-testid="source-editor"] .monaco-editor')?.classList.contains('vs-dark') === was, before);
  });

  it('F6 leaves the editor for the terminal', async () => {
    await page.locator('[data-testid="source-editor"] .monaco-editor .view-lines').click();
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="source-editor"]') !== null)).toBe(true);
    await page.keyboard.press('F6');
    expect(await page.evaluate(() => document.activeElement?.closest('#terminal') !== null)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it('the seccomp editor starts from Docker\'s profile and applies it as the learner\'s own', async () => {
    await page.getByTestId('tab-seccomp').click();
    await page.locator('[data-testid="seccomp-editor"] .monaco-editor').waitFor();
    await page.waitForFunction(() => /Docker's default profile/.test(document.querySelector('[data-testid="seccomp-status"]')?.textContent ?? ''));
    // The status says the profile is loaded; Monaco draws its lines a frame or two later.
    await expect.poll(() => editorText('seccomp-editor'), { timeout: 10_000 }).toMatch(/"defaultAction": "SCMP_ACT_ERRNO"/);
    await page.locator('[data-testid="seccomp-editor"] .monaco-editor .view-lines').click();
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => /^Applied: seccomp: your profile \(default SCMP_ACT_ERRNO, \d+ rules\)/.test(document.querySelector('[data-testid="seccomp-status"]')?.textContent ?? ''), undefined, { timeout: 20_000 });
    const ready = await page.evaluate(() => (window as unknown as { isolab: { lastReady(): { spec: { seccomp: string } } | null } }).isolab.lastReady());
    expect(ready?.spec.seccomp).toBe('custom');
  });

  it('at 200% zoom the editor fits: one column, nothing wider than the window', async () => {
    // 200% zoom of a 1400×900 window lays the page out in 700×450 CSS pixels.
    const zoomed = await chromium.browser.newPage({ viewport: { width: 700, height: 450 } });
    try {
      await zoomed.goto(`${lab.url}/?token=${lab.token}#/lesson/01-uts-namespace`);
      await zoomed.getByTestId('tab-settings').click();
      await zoomed.locator('[data-testid="settings-editor"] .monaco-editor').waitFor({ timeout: 30_000 });
      const fit = await zoomed.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        window: document.documentElement.clientWidth,
        editor: document.querySelector('[data-testid="settings-editor"]')!.getBoundingClientRect().width,
        apply: document.querySelector('[data-testid="settings-apply"]')!.getBoundingClientRect().right,
      }));
      expect(fit.page).toBeLessThanOrEqual(fit.window);
      expect(fit.editor).toBeGreaterThan(500);
      expect(fit.apply).toBeLessThanOrEqual(fit.window);
    } finally {
      await zoomed.close();
    }
  });
});
