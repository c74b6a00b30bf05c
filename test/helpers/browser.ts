// Debian's chromium driven by playwright-core. Never downloads a browser.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
