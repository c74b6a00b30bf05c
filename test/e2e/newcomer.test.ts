// What a new user hit (issue 13), each in a real browser against a real server: Run types where
// the learner sees and without a stray "^C"; predictions can be picked, the pick is saved before
// the answer shows and is judged; the inspector follows commands; switch labels and hints say what
// is true; the diagnosis panel follows the session; live cgroup limits have a form; a shell that
// fails to start leaves the old one running, and its error banner goes once a fix applies; a
// check the lesson itself undoes stays passed, and its row says it is not true now.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { hook, launchChromium, showSidePanel, terminalText, typeCommand, waitForTerminal } from '../helpers/browser.js';
import { startLab, type RunningLab } from '../helpers/lab.js';

let lab: RunningLab;
let chromium: { browser: Browser; close(): Promise<void> };
let page: Page;

const text = () => terminalText(page);
const prompt = (from = 0) => waitForTerminal(page, /[#$] $/, from);

async function openLesson(id: string): Promise<void> {
  await page.goto(`${lab.url}/?token=${lab.token}#/lesson/${id}`);
  await page.waitForFunction((lesson) => document.title.startsWith(lesson), { 7: 'cgroups', 1: 'UTS namespace', 12: 'Capabilities', 16: 'Containers and virtual machines' }[Number(id.slice(0, 2))] ?? '');
  await prompt();
}

beforeAll(async () => {
  lab = await startLab();
  chromium = await launchChromium();
  page = await chromium.browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (err) => console.error('[page error]', err));
  await page.goto(`${lab.url}/?token=${lab.token}#/lesson/01-uts-namespace`);
  await prompt();
});

afterAll(async () => {
  await chromium?.close();
  await lab?.close();
});

describe('Run', () => {
  const run = (command: string) => page.locator(`figure.cmd[data-command="${command}"] button.cmd-run`).click();

  it('at an idle prompt types the command straight away: no "^C" line first', async () => {
    await prompt();
    const from = (await text()).length;
    await run('hostname');
    await waitForTerminal(page, /hostname\r?\n[^\n]*\n[\s\S]*[#$] $/, from);
    expect((await text()).slice(from)).not.toContain('^C');
  });

  it('still interrupts what is running, then runs the command', async () => {
    await typeCommand(page, 'sleep 30');
    await page.waitForTimeout(300);
    const from = (await text()).length;
    await run('hostname');
    await waitForTerminal(page, /\^C[\s\S]*hostname[\s\S]*[#$] $/, from);
  });

  it('with the gVisor tab in front, brings the container\'s shell back and types there', async () => {
    await page.getByTestId('terminal-tab-gvisor').click();
    expect(await hook(page, 'activeTab')).toBe('gvisor');
    await run('readlink /proc/$$/ns/uts');
    await page.waitForFunction(() => (window as unknown as { isolab: { activeTab(): string } }).isolab.activeTab() === 'container');
    expect(await page.getByTestId('terminal').isVisible()).toBe(true);
    await waitForTerminal(page, /readlink \/proc\/\$\$\/ns\/uts\r?\nuts:\[\d+\]/);
  });
});

describe('Predict, then verify', () => {
  const learner = () => page.evaluate(() => localStorage.getItem('isolab.learner')!);

  it('lets the learner pick, saves the pick, then shows the answer and says it was not right', async () => {
    const section = page.locator('section.predict[data-predict="first-look"]');
    expect(await section.locator('details.predict-answer').getAttribute('open')).toBeNull();
    await page.getByTestId('predict-choice-first-look-1').click();
    await page.waitForFunction(() => /^Not this time: you picked B; the answer is A\./.test(document.querySelector('[data-testid="predict-verdict-first-look"]')?.textContent ?? ''));
    expect(await section.locator('details.predict-answer').getAttribute('open')).not.toBeNull();
    expect(await page.getByTestId('predict-choice-first-look-0').getAttribute('data-correct')).toBe('true');
    expect(await page.getByTestId('predict-choice-first-look-1').getAttribute('aria-pressed')).toBe('true');
    // The server has it: the pick, not only that the answer was opened.
    const saved = lab.progress.load(await learner()).lessons['01-uts-namespace']!;
    expect(saved.picks['first-look']).toBe(1);
    expect(saved.predictions['first-look']).toEqual(expect.any(String));
    // A second pick changes nothing.
    await page.getByTestId('predict-choice-first-look-0').click({ force: true });
    expect(lab.progress.load(await learner()).lessons['01-uts-namespace']!.picks['first-look']).toBe(1);
  });

  it('says so when the pick was right, and shows saved picks again after a reload', async () => {
    await page.getByTestId('predict-choice-nested-0').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="predict-verdict-nested"]')?.textContent === 'Right: A.');
    await page.reload();
    await prompt();
    await page.waitForFunction(() => document.querySelector('[data-testid="predict-choice-first-look-1"]')?.getAttribute('data-picked') === 'true');
    expect(await page.getByTestId('predict-verdict-first-look').textContent()).toMatch(/^Not this time/);
    expect(await page.getByTestId('predict-verdict-nested').textContent()).toBe('Right: A.');
  });
});

describe('the lesson\'s checks', () => {
  it('render a hint\'s `code` as code, not as backticks', async () => {
    const hint = page.locator('[data-testid="check-renamed"] .check-hint');
    await hint.waitFor();
    expect(await hint.locator('code').first().textContent()).toBe('hostname my-container');
    expect(await hint.textContent()).not.toContain('`');
  });
});

describe('the inspector', () => {
  it('reads the shell again after a command: the new hostname shows without a new shell', async () => {
    await showSidePanel(page, 'inspector');
    const cell = page.locator('[data-testid="inspector-row-uts.hostname"] td.val').first();
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-row-uts.hostname"] td.val')?.textContent === 'isolab');
    const pid = (await hook(page, 'lastReady'))!.pid;
    await typeCommand(page, 'hostname renamed-box');
    await page.waitForFunction(() => document.querySelector('[data-testid="inspector-row-uts.hostname"] td.val')?.textContent === 'renamed-box', undefined, { timeout: 10_000 });
    expect(await cell.textContent()).toBe('renamed-box');
    expect(await page.getByTestId('inspector-row-uts.hostname').getAttribute('data-changed')).toBe('true');
    expect((await hook(page, 'lastReady'))!.pid).toBe(pid);
  });

  it('reads it again on its button', async () => {
    const summary = () => page.locator('.inspector-summary').textContent();
    const before = await summary();
    await page.waitForTimeout(1100); // the summary says the second it was read at
    await page.getByTestId('inspector-refresh').click();
    await page.waitForFunction((b) => document.querySelector('.inspector-summary')?.textContent !== b, before);
    expect(await summary()).toMatch(/Read at /);
  });
});

describe('the diagnosis panel', () => {
  it('opens with the session as it is: no "connection is down" while connected', async () => {
    expect(await hook(page, 'socketConnected')).toBe(true);
    await page.getByTestId('diagnose-open').click();
    expect(await page.getByTestId('diagnose-status').textContent()).not.toMatch(/connection/);
    expect(await page.getByTestId('diagnose-run').getAttribute('aria-disabled')).toBe('false');
    await page.keyboard.press('Escape');
  });
});

describe('the switches', () => {
  it('label capabilities by what the shell has (lesson 12 leaves root one)', async () => {
    await openLesson('12-capabilities');
    await showSidePanel(page, 'switches');
    await page.waitForFunction(() => document.querySelector('[data-testid="toggle-caps"] .switch-label')?.textContent === 'Capabilities: only NET_BIND_SERVICE');
    expect(await page.getByTestId('toggle-caps').getAttribute('data-state')).toBe('on');
    expect(await page.locator('#toggle-caps-summary').textContent()).toMatch(/the other 40 are dropped/);
  });

  it('change cgroup limits live, in the same shell (lesson 7)', async () => {
    await openLesson('07-cgroups');
    await showSidePanel(page, 'switches');
    const form = page.getByTestId('limits-form');
    await form.waitFor({ state: 'visible' });
    expect(await page.getByTestId('limit-pids').inputValue()).toBe('64');
    const pid = (await hook(page, 'lastReady'))!.pid;
    // A value the server would refuse is named before anything is sent.
    await page.getByTestId('limit-memoryMiB').fill('2');
    await page.getByTestId('limits-apply').click();
    expect(await page.getByTestId('limits-status').textContent()).toMatch(/^Memory: .*6 MiB/);
    await page.getByTestId('limit-memoryMiB').fill('64');
    await page.getByTestId('limit-pids').fill('20');
    const from = (await text()).length;
    await page.getByTestId('limits-apply').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="limits-status"]')?.textContent === 'Applied to the running shell.');
    await waitForTerminal(page, /same shell, new limits/, from);
    expect((await hook(page, 'lastReady'))!.pid).toBe(pid);
    // Inside, the kernel says so.
    const after = (await text()).length;
    await typeCommand(page, 'cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max 2>/dev/null');
    await waitForTerminal(page, /\r?\n20\r?\n[\s\S]*[#$] $/, after);
    expect(await page.getByTestId('limit-pids').inputValue()).toBe('20');
  });
});

describe('the settings editor', () => {
  /** Keyboard only, with Monaco's find and replace (its inputs do not auto-close quotes and brackets as the editor does). */
  async function replaceInEditor(find: string, replacement: string): Promise<void> {
    await page.locator('[data-testid="settings-editor"] .monaco-editor .view-lines').click();
    await page.keyboard.press('Control+h');
    await page.keyboard.press('Control+a');
    await page.keyboard.type(find);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+a');
    await page.keyboard.type(replacement);
    await page.keyboard.press('Control+Alt+Enter');
    await page.keyboard.press('Escape');
  }
  const apply = async () => {
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => /^(Applied|Not applied)/.test(document.querySelector('[data-testid="settings-status"]')?.textContent ?? ''), undefined, { timeout: 20_000 });
  };
  const shellAlerts = () => page.locator('#alerts .alert[data-topic="shell"]');

  it('a shell that fails to start leaves the old one and a banner; the banner goes once a fix applies', async () => {
    await openLesson('01-uts-namespace');
    await page.getByTestId('tab-settings').click();
    // Monaco renders only the lines in view; the find widget scrolls to the one it selects.
    await page.waitForFunction(() => document.querySelector('[data-testid="settings-editor"] .view-lines')?.textContent?.includes('"hostname"'), undefined, { timeout: 30_000 });
    const pid = (await hook(page, 'lastReady'))!.pid;
    // Above the kernel's fs.nr_open: the launcher gets as far as step "rlimits" before it fails.
    const tooMany = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8')) + 1;
    await replaceInEditor('"rlimits": {}', `"rlimits": {"nofile": {"soft": 1024, "hard": ${tooMany}}}`);
    await apply();
    expect(await page.getByTestId('settings-status').textContent()).toMatch(/^Not applied: .*prlimit\(nofile\)/);
    await shellAlerts().first().waitFor();
    expect(await shellAlerts().first().textContent()).toMatch(/step: rlimits/);
    expect((await hook(page, 'lastReady'))!.pid).toBe(pid);
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    // The fix: a hard limit the kernel takes. A new shell, and the stale banner is gone.
    await replaceInEditor(String(tooMany), '4096');
    await apply();
    expect(await page.getByTestId('settings-status').textContent()).toMatch(/^Applied: /);
    await page.waitForFunction((old) => (window as unknown as { isolab: { lastReady(): { pid: number } | null } }).isolab.lastReady()?.pid !== old, pid);
    expect(await shellAlerts().count()).toBe(0);
  });
});

describe('a check the lesson itself undoes', () => {
  it('shows as passed earlier and not true now (lesson 16: the ballast written, then removed)', async () => {
    await openLesson('16-containers-vs-vms');
    const row = page.getByTestId('check-memory-counted');
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('not-yet');
    await typeCommand(page, 'dd if=/dev/zero of=/dev/shm/ballast bs=1M count=50');
    await page.waitForFunction(() => document.querySelector('[data-testid="check-memory-counted"]')?.getAttribute('data-state') === 'passed', undefined, { timeout: 15_000 });
    await typeCommand(page, 'rm /dev/shm/ballast');
    await page.waitForFunction(() => document.querySelector('[data-testid="check-memory-counted"]')?.getAttribute('data-state') === 'passed-earlier', undefined, { timeout: 15_000 });
    // Both at once: the tick of a passed check, and what is true now.
    expect(await row.getAttribute('data-passed')).toBe('false');
    expect(await row.locator('.check-mark').textContent()).toBe('✓');
    expect(await page.getByTestId('check-note-memory-counted').textContent()).toBe('passed earlier · not true now');
    expect(await row.locator('.check-hint').count()).toBe(0);
    expect(await page.locator('.checks-summary').textContent()).toBe('Done: every check has passed (1 not true now).');
  });
});
