// A newcomer in a real browser: open the page, type in the terminal, see the container's hostname,
// flip UTS off and see the host's.
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, showSidePanel, terminalText as pageTerminalText, typeCommand as pageTypeCommand, waitForTerminal as pageWaitForTerminal } from '../helpers/browser.js';
import { startLab, type RunningLab } from '../helpers/lab.js';

let lab: RunningLab;
let chromium: { browser: Browser; close(): Promise<void> };
let page: Page;

const terminalText = () => pageTerminalText(page);
const waitForTerminal = (pattern: RegExp, from = 0) => pageWaitForTerminal(page, pattern, from);
const typeCommand = (command: string) => pageTypeCommand(page, command);

beforeAll(async () => {
  lab = await startLab();
  chromium = await launchChromium();
  page = await chromium.browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (err) => console.error('[page error]', err));
});

afterAll(async () => {
  await chromium?.close();
  await lab?.close();
});

describe('the lab page', () => {
  it('opens with the lesson, a terminal, the toggle board and the inspector', async () => {
    // The page's scripts and styles arrive compressed (the build's .br copies), hashed ones cached for good.
    const assets: { url: string; encoding?: string; cache?: string }[] = [];
    page.on('response', (r) => {
      if (/\/assets\/main-[^/]+\.(js|css)$/.test(r.url())) assets.push({ url: r.url(), encoding: r.headers()['content-encoding'], cache: r.headers()['cache-control'] });
    });
    await page.goto(`${lab.url}/?token=${lab.token}#/lesson/01-uts-namespace`);
    await page.getByTestId('terminal').waitFor();
    await waitForTerminal(/[#$] $/m);
    await expect(page.getByTestId('toggle-uts').getAttribute('data-state')).resolves.toBe('on');
    await showSidePanel(page, 'inspector');
    await page.getByTestId('inspector-row-uts').waitFor();
    await expect(page.getByTestId('inspector-row-uts').getAttribute('data-differs')).resolves.toBe('true');
    // The access token is not left in the address bar.
    expect(page.url()).not.toContain('token=');
    expect(assets.map((a) => a.url.split('.').at(-1)).sort()).toEqual(['css', 'js']);
    for (const asset of assets) expect(asset, asset.url).toMatchObject({ encoding: 'br', cache: 'public, max-age=31536000, immutable' });
  });

  it('shows the container\'s hostname, then the host\'s after UTS is switched off', async () => {
    let from = (await terminalText()).length;
    await typeCommand('hostname');
    await waitForTerminal(/\bisolab\b[\s\S]*[#$] $/, from);

    from = (await terminalText()).length;
    await showSidePanel(page, 'switches');
    await page.getByTestId('toggle-uts').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="toggle-uts"]')?.getAttribute('data-state') === 'off');
    await waitForTerminal(/UTS namespace off[\s\S]*[#$] $/, from);
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-row-uts"]')?.getAttribute('data-differs') === 'false');
    // The row that changed since the previous report says so, in words as well as the attribute.
    await expect(page.getByTestId('inspector-row-uts').getAttribute('data-changed')).resolves.toBe('true');
    await expect(page.getByTestId('inspector-row-uts').locator('.changed-mark').textContent()).resolves.toMatch(/changed/);
    await expect(page.getByTestId('inspector-row-net').getAttribute('data-changed')).resolves.toBe('false');
    await expect(page.getByTestId('inspector-row-uts.hostname').getAttribute('data-changed')).resolves.toBe('true');
    from = (await terminalText()).length;
    await typeCommand('hostname');
    await waitForTerminal(new RegExp(`\\b${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`), from);
  });

  it('click-to-run types a lesson command, and the check turns green from real state', async () => {
    await page.getByTestId('toggle-uts').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="toggle-uts"]')?.getAttribute('data-state') === 'on');
    const status = page.getByTestId('lesson-check-status');
    await expect(status.getAttribute('data-state')).resolves.toBe('pending');
    await waitForTerminal(/[#$] $/, 0);
    // The Run button under the lesson's `hostname my-container` block types it into the terminal.
    const from = (await terminalText()).length;
    await page.locator('figure.cmd[data-command="hostname my-container"] button.cmd-run').click();
    await waitForTerminal(/hostname my-container/, from);
    await page.waitForFunction(() => document.querySelector('[data-testid="lesson-check-status"]')?.getAttribute('data-state') === 'passed', undefined, { timeout: 20_000 });
    expect(hostname()).not.toBe('my-container');
  });
});

describe('the "At work" panel', () => {
  it('shows the docker run line and OCI config for the running settings, and follows the switches', async () => {
    await showSidePanel(page, 'at-work');
    const line = page.getByTestId('docker-run-line');
    await page.waitForFunction(() => /^docker run /.test(document.querySelector('[data-testid="docker-run-line"]')?.textContent ?? ''));
    const notes = () => page.locator('[data-testid="equivalents"] .equiv-notes').first().innerText();
    expect(await notes()).toMatch(/no mount namespace/);
    await showSidePanel(page, 'switches');
    await page.getByTestId('toggle-rootfs').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="toggle-rootfs"]')?.getAttribute('data-state') === 'on');
    await showSidePanel(page, 'at-work');
    await page.waitForFunction(() => !/no mount namespace/.test(document.querySelector('[data-testid="equivalents"] .equiv-notes')?.textContent ?? ''));
    expect(await line.innerText()).toMatch(/^docker run /);
    const oci = JSON.parse(await page.getByTestId('oci-config').textContent() ?? '{}') as { linux?: { namespaces?: { type: string }[] } };
    expect(oci.linux?.namespaces?.map((n) => n.type)).toEqual(expect.arrayContaining(['mount', 'uts']));
  });
});
