// A newcomer's walk through lessons 0–3 in a real browser: each lesson opens from the lesson menu
// with its own shell, a Run button types a lesson command, the learner types the rest of the task,
// the lesson's check turns green from real state, and the inspector shows the namespace the lesson
// switched on now differing from the host's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { loadLessons, type Lesson } from '../../server/lessons/load.js';
import { defaultPaths } from '../../server/base/paths.js';
import { launchChromium, showSidePanel, terminalText, waitForTerminal } from '../helpers/browser.js';
import { startLab, type RunningLab } from '../helpers/lab.js';

let lab: RunningLab;
let chromium: { browser: Browser; close(): Promise<void> };
let page: Page;
let lessons: Lesson[];

const text = () => terminalText(page);
/** The prompt is back (after `from`): the last command has finished. */
const waitForPrompt = (from: number) => waitForTerminal(page, /[#$] $/, from);

beforeAll(async () => {
  lab = await startLab();
  lessons = (await loadLessons(defaultPaths().lessons)).lessons;
  chromium = await launchChromium();
  page = await chromium.browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (err) => console.error('[page error]', err));
  await page.goto(`${lab.url}/?token=${lab.token}#/lesson/00-just-a-process`);
  await page.getByTestId('terminal').waitFor();
  await waitForPrompt(0);
});

afterAll(async () => {
  await chromium?.close();
  await lab?.close();
});

/** The inspector row of the namespace each lesson is about (lesson 0 switches none on). */
const LESSON_NAMESPACE: Record<string, string | null> = {
  '00-just-a-process': null,
  '01-uts-namespace': 'uts',
  '02-pid-namespace': 'pid',
  '03-mount-namespace': 'mnt',
};

describe('a newcomer walks through lessons 0–3', () => {
  for (const id of Object.keys(LESSON_NAMESPACE)) {
    it(`${id}: opens, Run types a command, the tasks are done, the check turns green`, async () => {
      const lesson = lessons.find((l) => l.id === id)!;
      expect(lesson, `lesson ${id} loads`).toBeDefined();
      if (id !== '00-just-a-process') {
        // Through the lesson menu, as a learner would.
        await page.locator('.lesson-menu summary').click();
        await page.getByTestId(`lesson-link-${id}`).click();
      }
      await page.waitForFunction((title) => document.querySelector('#lesson-title')?.textContent?.includes(title) ?? false, lesson.title);
      await page.waitForFunction(() => document.querySelector('[data-testid="lesson-check-status"]')?.getAttribute('data-state') === 'pending');
      let from = (await text()).length;
      await waitForPrompt(Math.max(0, from - 3));

      // A Run button in the lesson types its command into the terminal.
      const run = page.locator('figure.cmd button.cmd-run').first();
      const command = await page.locator('figure.cmd').first().getAttribute('data-command');
      await run.click();
      await page.waitForFunction(
        ([start, cmd]) => (window as unknown as { isolab: { terminalText(): string } }).isolab.terminalText().slice(start as number).includes((cmd as string).split('\n')[0]!.slice(0, 20)),
        [from, command ?? ''] as const,
        { timeout: 15_000 },
      );
      from = (await text()).length;
      await waitForPrompt(Math.max(0, from - 3));

      // The learner types the task, line by line, waiting for the prompt each time.
      await page.getByTestId('terminal').click();
      for (const line of lesson.solution) {
        from = (await text()).length;
        await page.keyboard.type(line);
        await page.keyboard.press('Enter');
        await waitForPrompt(from);
      }
      await page.waitForFunction(() => document.querySelector('[data-testid="lesson-check-status"]')?.getAttribute('data-state') === 'passed', undefined, { timeout: 30_000 });

      const ns = LESSON_NAMESPACE[id];
      if (ns) {
        await showSidePanel(page, 'inspector');
        await page.getByTestId(`inspector-row-${ns}`).waitFor();
        await page.waitForFunction((row) => document.querySelector(`[data-testid="inspector-row-${row}"]`)?.getAttribute('data-differs') === 'true', ns);
      }
    });
  }
});
