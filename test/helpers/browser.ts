// Debian's chromium driven by playwright-core. Never downloads a browser.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startLab, type LabOptions, type RunningLab } from './lab.js';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: npm test installs Debian's chromium when run as root`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // This machine has no network beyond package registries: keep chromium from phoning home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
    // (playwright gives chromium a fresh temporary profile of its own and removes it on close),
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** The text in the page's terminal (window.isolab.terminalText(): the tab in front). */
export function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { isolab: { terminalText(): string } }).isolab.terminalText());
}

/** Waits until the terminal's text after `from` matches `pattern`. */
export async function waitForTerminal(page: Page, pattern: RegExp, from = 0, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    ([source, flags, start]) => new RegExp(source as string, flags as string).test((window as unknown as { isolab: { terminalText(): string } }).isolab.terminalText().slice(start as number)),
    [pattern.source, pattern.flags, from] as const,
    { timeout },
  );
}

/** Types a command into the terminal as a learner would, and presses Enter. */
export async function typeCommand(page: Page, command: string): Promise<void> {
  await page.getByTestId('terminal').click();
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
}

/** The read-only hooks the page exposes on window.isolab (web/src/main.ts). */
export interface PageHooks {
  terminalText(): string;
  terminalSize(): { cols: number; rows: number } | null;
  terminalFontSize(): number;
  activeTab(): string;
  socketConnected(): boolean;
  lastReady(): { pid: number; spec: Record<string, unknown> & { namespaces: Record<string, boolean> } } | null;
  layout(): 'wide' | 'compact' | 'narrow';
  presenting(): boolean;
}

/** Reads one of the page's hooks. */
export function hook<K extends keyof PageHooks>(page: Page, name: K): Promise<ReturnType<PageHooks[K]>> {
  return page.evaluate((n) => ((window as unknown as { isolab: Record<string, () => unknown> }).isolab[n]!() as never), name);
}

/** Shows one of the side pane's panels (switches, inspector, At work) by its tab, as a learner would. */
export async function showSidePanel(page: Page, panel: 'switches' | 'inspector' | 'at-work'): Promise<void> {
  const tab = page.getByTestId(`side-tab-${panel}`);
  const panelId = { switches: 'toggle-board', inspector: 'inspector', 'at-work': 'at-work' }[panel];
  if ((await tab.getAttribute('aria-selected')) !== 'true' || !(await page.locator(`#${panelId}`).isVisible())) await tab.click();
  await page.locator(`#${panelId}`).waitFor({ state: 'visible' });
}

/**
 * Words (runs of letters and digits) in the elements matching SELECTOR that the browser broke
 * across two lines: a run whose text range has more than one line box.
 */
export function brokenWords(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel) => {
    const broken: string[] = [];
    for (const root of Array.from(document.querySelectorAll(sel))) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        for (const m of text.matchAll(/[A-Za-z0-9]{2,}/g)) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const tops = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (tops.size > 1) broken.push(m[0]);
        }
      }
    }
    return broken;
  }, selector);
}

/** A lab server and one chromium page on it, with the terminal helpers bound to that page. */
export interface LabPage {
  server: RunningLab;
  page: Page;
  /** Opens the lab at HASH (e.g. `#/lesson/01-uts-namespace`) with the access token. */
  goto(hash: string): Promise<void>;
  terminalText(): Promise<string>;
  waitForTerminal(pattern: RegExp, from?: number): Promise<void>;
  typeCommand(command: string): Promise<void>;
  close(): Promise<void>;
}

/** Starts a lab and opens a page (1440×900 unless told) whose script errors go to the test's log. */
export async function openLabPage(viewport = { width: 1440, height: 900 }, labOptions: LabOptions = {}): Promise<LabPage> {
  const server = await startLab(labOptions);
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.browser.newPage({ viewport });
    page.on('pageerror', (err) => console.error('[page error]', err));
    const opened = browser;
    return {
      server,
      page,
      goto: async (hash) => void (await page.goto(`${server.url}/?token=${server.token}${hash}`)),
      terminalText: () => terminalText(page),
      waitForTerminal: (pattern, from = 0) => waitForTerminal(page, pattern, from),
      typeCommand: (command) => typeCommand(page, command),
      async close() {
        await opened.close();
        await server.close();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.close();
    throw err;
  }
}
