#!/usr/bin/env node
// `npm test` after setup: type-check every root, then the three vitest tiers in order
// (unit → integration → e2e), then one closing line "N passed, N failed, N skipped".
// Extra arguments are passed to vitest (e.g. `npm test -- --project unit`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(ROOT, 'node_modules', '.bin', name);
const extra = process.argv.slice(2);

if (process.getuid?.() !== 0) {
  process.stderr.write('isolab\'s integration and browser tests create real namespaces and mounts: run `npm test` as root.\n');
  process.exit(1);
}

const tsc = spawnSync(bin('tsc'), ['-b'], { cwd: ROOT, stdio: 'inherit' });
if (tsc.status !== 0) {
  process.stderr.write('type-check failed (npx tsc -b)\n');
  process.exit(1);
}

const reportDir = join(ROOT, 'build', 'test-reports');
rmSync(reportDir, { recursive: true, force: true });
mkdirSync(reportDir, { recursive: true });

const tiers = extra.some((a) => a.startsWith('--project')) ? [null] : ['unit', 'integration', 'e2e'];
const totals = { passed: 0, failed: 0, skipped: 0, brokenFiles: 0 };
let exitCode = 0;
for (const tier of tiers) {
  const report = join(reportDir, `${tier ?? 'selected'}.json`);
  const args = ['run', ...(tier ? ['--project', tier] : []), '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra];
  process.stdout.write(`\n=== vitest ${tier ?? extra.join(' ')} ===\n`);
  const res = spawnSync(bin('vitest'), args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : '1' } });
  if (res.status !== 0) exitCode = 1;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests ?? 0;
    totals.failed += json.numFailedTests ?? 0;
    totals.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
    // A file that fails before its tests run (a throwing beforeAll, say) counts no failed test.
    totals.brokenFiles += json.numFailedTestSuites ?? 0;
    if ((json.numTotalTests ?? 0) === 0) {
      process.stderr.write(`tier ${tier} ran no test\n`);
      exitCode = 1;
    }
  } catch {
    process.stderr.write(`no report from tier ${tier ?? 'selected'}\n`);
    exitCode = 1;
  }
}
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped${totals.brokenFiles ? `, ${totals.brokenFiles} test file(s) failed` : ''}\n`);
process.exit(exitCode);
