// A workshop learner in a real browser: a switch turned off shares the learner's own machine, not
// the host — the terminal and the inspector both say so.
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { MACHINE_HOSTNAME } from '../../server/floor/floor.js';
import { openLabPage, showSidePanel, type LabPage } from '../helpers/browser.js';

let lab: LabPage;
let page: Page;

beforeAll(async () => {
  lab = await openLabPage(undefined, { mode: 'workshop' });
  page = lab.page;
});

afterAll(async () => {
  await lab?.close();
});

describe('a workshop learner\'s page', () => {
  it('with UTS off shows the learner\'s machine\'s hostname, never the host\'s, and the inspector names the machine', async () => {
    await lab.goto('#/lesson/01-uts-namespace');
    await lab.waitForTerminal(/[#$] $/m);
    await showSidePanel(page, 'inspector');
    await page.getByTestId('inspector-row-uts').waitFor();
    // The right-hand column is the learner's machine, and says so.
    await expect(page.locator('.inspector-table thead th').last().textContent()).resolves.toBe('Your machine');

    await showSidePanel(page, 'switches');
    const from = (await lab.terminalText()).length;
    await page.getByTestId('toggle-uts').click();
    await lab.waitForTerminal(/UTS namespace off[\s\S]*[#$] $/, from);
    const after = (await lab.terminalText()).length;
    await lab.typeCommand('hostname');
    await lab.waitForTerminal(new RegExp(`\\b${MACHINE_HOSTNAME}\\b[\\s\\S]*[#$] $`), after);
    expect((await lab.terminalText()).slice(after)).not.toContain(hostname());
    // The inspector agrees: the shell's UTS namespace is now the machine's.
    await showSidePanel(page, 'inspector');
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-row-uts"]')?.getAttribute('data-differs') === 'false');
  });
});
