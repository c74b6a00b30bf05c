// The comparison panel in a real browser: four columns, measured; and the VM's tab is a real shell
// on the shared VM that answers a typed command. [slow: boots a VM]
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { defaultPaths } from '../../server/base/paths.js';
import { launchChromium, waitForTerminal as pageWaitForTerminal } from '../helpers/browser.js';
import { startLab, type RunningLab } from '../helpers/lab.js';

const SLOW_MS = 180_000;
let lab: RunningLab;
let chromium: { browser: Browser; close(): Promise<void> };
let page: Page;

type Hooks = { isolab: { terminalText(): string; activeTab(): string } };

const waitForTerminal = (pattern: RegExp, from = 0, timeout = 30_000) => pageWaitForTerminal(page, pattern, from, timeout);

beforeAll(async () => {
  lab = await startLab({ compare: true });
  chromium = await launchChromium();
  page = await chromium.browser.newPage({ viewport: { width: 1500, height: 1000 } });
  page.on('pageerror', (err) => console.error('[page error]', err));
}, SLOW_MS);

afterAll(async () => {
  await chromium?.close();
  await lab?.close();
});

describe('the comparison panel [slow: boots a VM]', () => {
  it('renders the four columns, each measured, the VM with its own kernel', async () => {
    await page.goto(`${lab.url}/?token=${lab.token}`);
    await waitForTerminal(/[#$] $/m);
    await page.getByTestId('compare-toggle').click();
    for (const place of ['container', 'host', 'gvisor', 'vm']) await page.getByTestId(`compare-col-${place}`).waitFor();
    await page.waitForFunction(
      () => ['container', 'host', 'gvisor', 'vm'].every((p) => document.querySelector(`[data-testid="compare-col-${p}"]`)?.getAttribute('data-state') === 'ready'),
      undefined,
      { timeout: 120_000 },
    );
    const cell = (row: string, place: string) => page.getByTestId(`compare-cell-${row}-${place}`).textContent();
    expect(await cell('kernel', 'container')).toContain(release());
    expect(await cell('kernel', 'host')).toContain(release());
    expect(await cell('kernel', 'vm')).not.toContain(release());
    expect(await cell('kernel', 'gvisor')).not.toContain(release());
    // None of the VM's system calls reach the host's kernel, and the cell is marked as differing.
    expect(await cell('reachhost', 'vm')).toMatch(/^≠ 0\b/);
    await expect(page.getByTestId('compare-cell-reachhost-vm').getAttribute('class')).resolves.toContain('differs');
    await page.screenshot({ path: join(defaultPaths().web, '..', 'compare-panel.png') });
  }, SLOW_MS);

  it('the VM tab is a shell on the VM that answers a typed command', async () => {
    await page.getByTestId('terminal-tab-vm').click();
    expect(await page.evaluate(() => (window as unknown as Hooks).isolab.activeTab())).toBe('vm');
    await waitForTerminal(/learner\d@isolab-vm:~\$ $/, 0, 60_000);
    const from = (await page.evaluate(() => (window as unknown as Hooks).isolab.terminalText())).length;
    await page.getByTestId('terminal-vm').click();
    await page.keyboard.type('uname -r');
    await page.keyboard.press('Enter');
    const vmRelease = JSON.parse(readFileSync(join(defaultPaths().vmDir, 'vm.json'), 'utf8')).kernelRelease as string;
    await waitForTerminal(new RegExp(`uname -r\\s+${vmRelease.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), from);
    // The container's tab still holds the container's shell.
    await page.getByTestId('terminal-tab-container').click();
    await waitForTerminal(/[#$] $/);
    expect(await page.evaluate(() => (window as unknown as Hooks).isolab.activeTab())).toBe('container');
  }, SLOW_MS);
});
