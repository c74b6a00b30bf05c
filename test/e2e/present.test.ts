// Presenter mode on a projector-sized screen: ?present gives large, high-contrast text (the
// terminal at 20 px or more), the lesson as one step at a time, and the switches large with an
// Alt+letter key each, in a legend; a key flips a switch and the server confirms it, as a click
// does. The header button leaves the mode (and the address says so). Screenshots go to
// build/screenshots/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { hook, launchChromium, terminalText, waitForTerminal } from '../helpers/browser.js';
import { startLab, type RunningLab } from '../helpers/lab.js';

const SHOTS = join(import.meta.dirname, '../../build/screenshots');

let lab: RunningLab;
let chromium: { browser: Browser; close(): Promise<void> };
let page: Page;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lab = await startLab();
  chromium = await launchChromium();
  page = await chromium.browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('pageerror', (err) => console.error('[page error]', err));
  await page.goto(`${lab.url}/?token=${lab.token}&present#/lesson/01-uts-namespace`);
  await waitForTerminal(page, /[#$] $/m);
});

afterAll(async () => {
  await chromium?.close();
  await lab?.close();
});

const ready = () => hook(page, 'lastReady');

describe('presenter mode', () => {
  it('?present: large text, the lesson reduced to its current step, the switches with their keys', async () => {
    expect(await hook(page, 'presenting')).toBe(true);
    expect(await hook(page, 'terminalFontSize')).toBeGreaterThanOrEqual(20);
    expect(await page.locator('#left-column').isVisible()).toBe(false);
    await page.getByTestId('step-panel').waitFor({ state: 'visible' });
    await page.waitForFunction(() => /Lesson 1 · UTS namespace · Step 1 of \d+/.test(document.querySelector('[data-testid="step-where"]')?.textContent ?? ''));
    expect(await page.getByTestId('step-command').textContent()).not.toBe('');
    expect(await page.getByTestId('step-task').textContent()).toMatch(/^Task: /);
    await page.getByTestId('switch-legend').waitFor({ state: 'visible' });
    expect(await page.locator('[data-testid="toggle-uts"] .switch-key').textContent()).toBe('U');
    expect(await page.getByTestId('toggle-pid').getAttribute('aria-keyshortcuts')).toBe('Alt+P');
    // The terminal sits beside the switches, both in view.
    const [terminal, board] = await Promise.all(['[data-testid="terminal"]', '#toggle-board'].map((sel) => page.locator(sel).boundingBox()));
    expect(terminal!.x + terminal!.width).toBeLessThanOrEqual(board!.x);
    expect(terminal!.y + terminal!.height).toBeLessThanOrEqual(720);
    await page.screenshot({ path: join(SHOTS, 'present-1280x720.png') });
  });

  it('Alt+P flips the PID switch from the terminal, and the server confirms it with a new shell', async () => {
    expect((await ready())!.spec.namespaces['pid']).toBe(false);
    const pidBefore = (await ready())!.pid;
    await page.getByTestId('terminal').click();
    const from = (await terminalText(page)).length;
    await page.keyboard.press('Alt+KeyP');
    await page.waitForFunction(() => document.querySelector('[data-testid="toggle-pid"]')?.getAttribute('data-state') === 'on', undefined, { timeout: 20_000 });
    await waitForTerminal(page, /PID namespace on[\s\S]*[#$] $/, from);
    const after = (await ready())!;
    expect(after.spec.namespaces['pid']).toBe(true);
    expect(after.pid).not.toBe(pidBefore);
    // The key went to the page, not to the shell (no "p" or ESC p typed at the prompt).
    expect((await terminalText(page)).slice(from)).not.toMatch(/[#$] p/);
    // And back, with the same key.
    await page.keyboard.press('Alt+KeyP');
    await page.waitForFunction(() => document.querySelector('[data-testid="toggle-pid"]')?.getAttribute('data-state') === 'off', undefined, { timeout: 20_000 });
    await page.waitForFunction(() => (window as unknown as { isolab: { lastReady(): { spec: { namespaces: { pid: boolean } } } } }).isolab.lastReady().spec.namespaces.pid === false, undefined, { timeout: 20_000 });
  });

  it('F6 moves between the regions that are shown: the terminal and the switches (no lesson column)', async () => {
    await page.getByTestId('terminal').click();
    const focused = () => page.evaluate(() => document.activeElement?.closest('#left-column, #terminal-region, #side-region')?.id ?? null);
    await page.keyboard.press('F6');
    expect(await focused()).toBe('side-region');
    await page.keyboard.press('F6');
    expect(await focused()).toBe('terminal-region');
  });

  it('walks the steps with Alt+PageDown / Alt+PageUp, and Alt+Enter runs the step in the shell', async () => {
    const where = () => page.getByTestId('step-where').textContent();
    await page.keyboard.press('Alt+PageDown');
    expect(await where()).toMatch(/Step 2 of/);
    await page.keyboard.press('Alt+PageUp');
    expect(await where()).toMatch(/Step 1 of/);
    const command = (await page.getByTestId('step-command').textContent())!;
    await waitForTerminal(page, /[#$] $/);
    const from = (await terminalText(page)).length;
    await page.keyboard.press('Alt+Enter');
    await waitForTerminal(page, new RegExp(command.split('\n')[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), from);
    expect(await where()).toMatch(/Step 2 of/);
  });

  it('the header button leaves presenter mode: the lesson is back, the text normal, the address without ?present', async () => {
    await page.getByTestId('present-toggle').click();
    expect(await hook(page, 'presenting')).toBe(false);
    expect(await page.getByTestId('present-toggle').getAttribute('aria-pressed')).toBe('false');
    expect(page.url()).not.toContain('present');
    await page.locator('#lesson-region').waitFor({ state: 'visible' });
    expect(await page.getByTestId('step-panel').isVisible()).toBe(false);
    expect(await hook(page, 'terminalFontSize')).toBe(14);
    await page.getByTestId('present-toggle').click();
    expect(page.url()).toMatch(/\?present#\/lesson\/01-uts-namespace$/);
    expect(await hook(page, 'terminalFontSize')).toBeGreaterThanOrEqual(20);
  });

  it('fills a 1920×1080 projector', async () => {
    const big = await chromium.browser.newPage({ viewport: { width: 1920, height: 1080 } });
    try {
      await big.goto(`${lab.url}/?token=${lab.token}&present#/lesson/02-pid-namespace`);
      await waitForTerminal(big, /[#$] $/m);
      expect(await hook(big, 'terminalFontSize')).toBeGreaterThanOrEqual(20);
      expect((await hook(big, 'terminalSize'))!.cols).toBeGreaterThanOrEqual(80);
      await big.screenshot({ path: join(SHOTS, 'present-1920x1080.png') });
    } finally {
      await big.close();
    }
  });
});
