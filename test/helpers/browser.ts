// Debian's chromium driven by playwright-core. Never downloads a browser.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

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
