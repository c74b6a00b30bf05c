// "Why did that fail?" in a real browser: switch the root to read-only, watch `touch /x` fail in
// the terminal, ask, and read the verdict naming the read-only root; then the same with the keyboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openLabPage, type LabPage } from '../helpers/browser.js';

let lab: LabPage;
let page: Page;

beforeAll(async () => {
  lab = await openLabPage();
  page = lab.page;
  await lab.goto('#/lesson/00-just-a-process');
  await page.getByTestId('terminal').waitFor();
  await lab.waitForTerminal(/[#$] $/m);
});

afterAll(async () => {
  await lab?.close();
});

describe('Why did that fail?', () => {
  it('names the read-only root for a touch that failed in the terminal', async () => {
    await page.getByTestId('toggle-readonly').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="toggle-readonly"]')?.getAttribute('data-state') === 'on');
    await lab.waitForTerminal(/Read-only root on[\s\S]*[#$] $/);
    const from = (await lab.terminalText()).length;
    await lab.typeCommand('touch /x');
    await lab.waitForTerminal(/Read-only file system[\s\S]*[#$] $/, from);

    await page.getByTestId('diagnose-open').click();
    const input = page.getByTestId('diagnose-command');
    await expect(input.inputValue()).resolves.toBe('touch /x');
    await page.getByTestId('diagnose-run').click();
    const headline = page.getByTestId('diagnose-headline');
    await headline.waitFor({ timeout: 30_000 });
    await expect(headline.textContent()).resolves.toBe('Refused by: read-only root');
    await expect(page.getByTestId('diagnose-conclusion').textContent()).resolves.toMatch(/^The read-only root filesystem refused it/);
    const row = page.getByTestId('diagnose-layer-read-only-root');
    await expect(row.getAttribute('data-effect')).resolves.toBe('works');
    await expect(row.textContent()).resolves.toContain('root filesystem: writable (was read-only)');
  });

  it('works from the keyboard: open, edit, Enter to run, Escape back to the terminal', async () => {
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('diagnose-panel').isHidden()).resolves.toBe(true);
    await expect(page.evaluate(() => document.activeElement?.closest('[data-testid="terminal"]') !== null)).resolves.toBe(true);

    await page.getByTestId('diagnose-open').focus();
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('diagnose-command');
    await page.keyboard.type('cat /nonexistent'); // replaces the selected prefill
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid="diagnose-headline"]')?.textContent === 'No isolation layer refused it', undefined, { timeout: 30_000 });
    await expect(page.getByTestId('diagnose-layer-read-only-root').getAttribute('data-effect')).resolves.toBe('no-change');
  });

  it('explains why it cannot help without an own root filesystem', async () => {
    await page.keyboard.press('Escape');
    await page.getByTestId('toggle-rootfs').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="toggle-rootfs"]')?.getAttribute('data-state') === 'off');
    await page.getByTestId('diagnose-open').click();
    await page.getByTestId('diagnose-command').fill('touch /x');
    await page.getByTestId('diagnose-run').click();
    await expect(page.getByTestId('diagnose-error').textContent()).resolves.toMatch(/has no own root filesystem/);
  });
});
