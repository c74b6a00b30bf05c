// The page at the sizes a lab is used at: a laptop (1024×768, 1280×720), a desktop (1440×900)
// and a projector or big screen (1920×1080). At each the terminal is in view beside the lesson,
// at least 80 columns wide from 1280 px up, and the page itself never scrolls; the side pane's
// panels are tabs (a rail on the smaller screens). A screenshot of each goes to build/screenshots/
// (not into git) for a person to look at.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { brokenWords, hook, launchChromium, showSidePanel, waitForTerminal } from '../helpers/browser.js';
import { startLab, type RunningLab } from '../helpers/lab.js';

const SHOTS = join(import.meta.dirname, '../../build/screenshots');

let lab: RunningLab;
let chromium: { browser: Browser; close(): Promise<void> };

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  lab = await startLab();
  chromium = await launchChromium();
});

afterAll(async () => {
  await chromium?.close();
  await lab?.close();
});

async function open(width: number, height: number, path = '#/lesson/01-uts-namespace'): Promise<Page> {
  const page = await chromium.browser.newPage({ viewport: { width, height } });
  page.on('pageerror', (err) => console.error('[page error]', err));
  await page.goto(`${lab.url}/?token=${lab.token}${path}`);
  await waitForTerminal(page, /[#$] $/m);
  return page;
}

type Box = { left: number; top: number; right: number; bottom: number; width: number };
const box = (page: Page, selector: string): Promise<Box> =>
  page.evaluate((sel) => {
    const r = document.querySelector(sel)!.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width };
  }, selector);

const pageScroll = (page: Page) =>
  page.evaluate(() => ({ height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth, y: window.scrollY, viewH: window.innerHeight, viewW: window.innerWidth }));

describe.each([
  [1024, 768, 'compact'],
  [1280, 720, 'compact'],
  [1440, 900, 'wide'],
  [1920, 1080, 'wide'],
] as const)('at %d×%d', (width, height, layout) => {
  let page: Page;
  beforeAll(async () => {
    page = await open(width, height);
  });
  afterAll(async () => {
    await page?.close();
  });

  it(`lays out ${layout}: the terminal in view beside the lesson${width >= 1280 ? ', 80 columns or more' : ''}, the page not scrolling`, async () => {
    expect(await hook(page, 'layout')).toBe(layout);
    const terminal = await box(page, '[data-testid="terminal"]');
    expect(terminal.left).toBeGreaterThanOrEqual(0);
    expect(terminal.top).toBeGreaterThanOrEqual(0);
    expect(terminal.right).toBeLessThanOrEqual(width);
    expect(terminal.bottom).toBeLessThanOrEqual(height);
    const lesson = await box(page, '#lesson-region');
    expect(lesson.right).toBeLessThanOrEqual(terminal.left);
    expect(lesson.bottom).toBeLessThanOrEqual(height);
    const size = await hook(page, 'terminalSize');
    if (width >= 1280) expect(size!.cols).toBeGreaterThanOrEqual(80);
    else expect(size!.cols).toBeGreaterThanOrEqual(60);
    expect(size!.rows).toBeGreaterThanOrEqual(24);
    const scroll = await pageScroll(page);
    expect(scroll.height).toBeLessThanOrEqual(scroll.viewH);
    expect(scroll.width).toBeLessThanOrEqual(scroll.viewW);
    await page.screenshot({ path: join(SHOTS, `${width}x${height}.png`) });
  });

  it('opens the switches, the inspector and At work as tabs, without moving or shrinking the terminal', async () => {
    const before = await box(page, '[data-testid="terminal"]');
    const cols = (await hook(page, 'terminalSize'))!.cols;
    for (const panel of ['inspector', 'at-work', 'switches'] as const) {
      await showSidePanel(page, panel);
      // The panel scrolls inside the side pane, which is in view.
      const shown = await box(page, '#side-panels');
      expect(shown.bottom).toBeLessThanOrEqual(height);
      expect(shown.top).toBeGreaterThanOrEqual(0);
      expect(shown.right <= before.left || shown.left >= before.right, `${panel} does not cover the terminal`).toBe(true);
    }
    await page.getByTestId('toggle-pid').waitFor({ state: 'visible' });
    if (layout === 'compact') await page.screenshot({ path: join(SHOTS, `${width}x${height}-switches.png`) });
    expect(await box(page, '[data-testid="terminal"]')).toEqual(before);
    expect((await hook(page, 'terminalSize'))!.cols).toBe(cols);
    if (layout === 'compact') {
      // Back to the lesson: the panel folds away and the lesson is there again.
      await page.getByTestId('side-close').click();
      await page.locator('#lesson-region').waitFor({ state: 'visible' });
      expect(await page.locator('#toggle-board').isVisible()).toBe(false);
    }
  });

  it('F6 goes from the lesson to the terminal to the side pane (its chosen tab, when it is folded) and round again', async () => {
    await page.getByTestId('terminal').click();
    const focused = () => page.evaluate(() => ({ region: document.activeElement?.closest('#left-column, #terminal-region, #side-region')?.id ?? null, tab: document.activeElement?.getAttribute('role') }));
    await page.keyboard.press('F6');
    expect(await focused()).toEqual(layout === 'compact' ? { region: 'side-region', tab: 'tab' } : { region: 'side-region', tab: 'tabpanel' });
    await page.keyboard.press('F6');
    expect((await focused()).region).toBe('left-column');
    await page.keyboard.press('F6');
    expect((await focused()).region).toBe('terminal-region');
  });

  it('scrolling the inspector or the switches to their end never scrolls the page', async () => {
    await showSidePanel(page, 'inspector');
    await page.getByTestId('inspector-row-uts').waitFor();
    // Every group open: the longest the inspector gets.
    await page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>('#inspector details').forEach((d) => (d.open = true)));
    for (const panel of ['inspector', 'switches'] as const) {
      await showSidePanel(page, panel);
      const panels = await box(page, '#side-panels');
      await page.mouse.move(panels.left + panels.width / 2, (panels.top + panels.bottom) / 2);
      for (let i = 0; i < 40; i++) await page.mouse.wheel(0, 600);
      await page.waitForTimeout(200);
      const scroll = await pageScroll(page);
      expect(scroll.y, `${panel}: the page did not scroll`).toBe(0);
      expect(scroll.height, `${panel}: the page is no taller than the window`).toBeLessThanOrEqual(scroll.viewH);
      const scrolled = await page.evaluate(() => document.querySelector('#side-panels')!.scrollTop);
      expect(scrolled, `${panel}: its own pane scrolled`).toBeGreaterThan(0);
    }
    if (layout === 'compact') await page.getByTestId('side-close').click();
  });

  it('breaks the inspector\'s values and the docker line between words, never inside one', async () => {
    await showSidePanel(page, 'inspector');
    await page.evaluate(() => document.querySelectorAll<HTMLDetailsElement>('#inspector details').forEach((d) => (d.open = true)));
    expect(await brokenWords(page, '#inspector table')).toEqual([]);
    await showSidePanel(page, 'at-work');
    await page.waitForFunction(() => /^docker run /.test(document.querySelector('[data-testid="docker-run-line"]')?.textContent ?? ''));
    expect(await brokenWords(page, '[data-testid="docker-run-line"]')).toEqual([]);
    await showSidePanel(page, 'switches');
    if (layout === 'compact') await page.getByTestId('side-close').click();
  });
});

describe('the text size', () => {
  it('Alt+= and Alt+- size the terminal and the lesson together, Alt+0 resets, and the browser remembers', async () => {
    const page = await open(1280, 720);
    try {
      const lessonPx = () => page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('.lesson-text')!).fontSize));
      expect(await hook(page, 'terminalFontSize')).toBe(14);
      const lesson = await lessonPx();
      const cols = (await hook(page, 'terminalSize'))!.cols;
      await page.getByTestId('terminal').click();
      const from = (await hook(page, 'terminalText')).length;
      await page.keyboard.press('Alt+Equal');
      await page.keyboard.press('Alt+Equal');
      await page.waitForFunction(() => (window as unknown as { isolab: { terminalFontSize(): number } }).isolab.terminalFontSize() === 18);
      expect(await lessonPx()).toBeCloseTo(lesson * 1.3, 0);
      await page.waitForFunction((c) => (window as unknown as { isolab: { terminalSize(): { cols: number } } }).isolab.terminalSize().cols < c, cols);
      expect(await page.getByTestId('text-reset').textContent()).toBe('130 %');
      // The keys went to the page, not to the shell: nothing was typed.
      expect((await hook(page, 'terminalText')).slice(from)).toBe('');
      await page.reload();
      await waitForTerminal(page, /[#$] $/m);
      expect(await hook(page, 'terminalFontSize')).toBe(18);
      await page.getByTestId('text-smaller').click();
      expect(await hook(page, 'terminalFontSize')).toBe(16);
      await page.keyboard.press('Alt+Digit0');
      expect(await hook(page, 'terminalFontSize')).toBe(14);
      expect(await lessonPx()).toBeCloseTo(lesson, 0);
    } finally {
      await page.close();
    }
  });
});
