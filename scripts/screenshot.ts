// Takes docs/screenshot.png for the README: a real lab, a real shell, lesson 1 after `hostname`.
//   node --import tsx scripts/screenshot.ts
import { launchChromium } from '../test/helpers/browser.js';
import { startLab } from '../test/helpers/lab.js';

const lab = await startLab();
const chromium = await launchChromium();
try {
  const page = await chromium.browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`${lab.url}/?token=${lab.token}#/lesson/01-uts-namespace`);
  const prompt = () => page.waitForFunction(() => /[#$] $/.test((window as unknown as { isolab: { terminalText(): string } }).isolab.terminalText()));
  await prompt();
  await page.getByTestId('terminal').click();
  for (const command of ['hostname', 'readlink /proc/$$/ns/uts', 'hostname my-container']) {
    await page.keyboard.type(command);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
  }
  await page.waitForFunction(() => document.querySelector('[data-testid="lesson-check-status"]')?.getAttribute('data-state') === 'passed', undefined, { timeout: 20_000 });
  await page.screenshot({ path: 'docs/screenshot.png' });
  console.log('wrote docs/screenshot.png');
} finally {
  await chromium.close();
  await lab.close();
}
