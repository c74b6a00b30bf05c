// `isolab demos verify`: give every demo the way a speaker would, before standing on stage. One
// real Session per demo (the one a browser gets); for each step the shell is switched to the step's
// settings, and each command is typed into it and must come back to the prompt without the shell
// saying it could not run it. Each host command runs on the host. What a command prints is the
// talk's business (a fork bomb that fails is the point); what is checked is that it ran.
import { spawnSync } from 'node:child_process';
import { LabError } from '../base/errors.js';
import type { LabPaths } from '../base/paths.js';
import { loadDemos, type Demo } from '../demos/load.js';
import { catalogOf } from '../lessons/catalog.js';
import { StatusServer } from '../runtime/status-lines.js';
import { Session } from '../session/session.js';
import { sessionDeps } from '../session/session-deps.js';
import { Terminal, WalkError, alive, waitUntil } from './shell-walk.js';

/** What a shell prints when it could not run a command at all, rather than the command failing. */
const COULD_NOT_RUN = /(?:^|\n)[^\n]*(?:: not found|: command not found|can't execute|[Ss]yntax error)/;
/** A speaker never switches five times a second; a walk through the steps can, and waits. */
const RESPAWN_RATE_WAIT_MS = 1_100;
/** A host command gets this long. */
const HOST_COMMAND_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;
const TRANSCRIPT_CHARS = 1_200;

export interface DemoVerdict {
  id: string;
  passed: boolean;
  /** Which step and command failed, and why. */
  reason?: string;
  transcript?: string;
  ms: number;
}

export async function verifyDemos(opts: { dir: string; paths: LabPaths; only?: readonly string[]; transcript?: boolean; onResult?: (v: DemoVerdict) => void }): Promise<{ verdicts: DemoVerdict[]; loadErrors: string[] }> {
  const { demos, errors } = await loadDemos(opts.dir);
  const chosen = opts.only?.length ? demos.filter((d) => opts.only!.includes(d.view.id)) : demos;
  const status = await StatusServer.start();
  const verdicts: DemoVerdict[] = [];
  // A speaker's lab is a solo one: demos switch everything, down to a plain process.
  const deps = sessionDeps({ paths: opts.paths, status, lessons: catalogOf([]), mode: 'solo' });
  try {
    for (const demo of chosen) {
      const verdict = await verifyOne(demo, (out) => new Session(deps, out), opts.transcript ?? false);
      verdicts.push(verdict);
      opts.onResult?.(verdict);
    }
  } finally {
    await status.close();
    deps.containers.dispose(); // the seccomp programs built for the demos' shells
  }
  return { verdicts, loadErrors: errors.map((e) => e.message) };
}

async function verifyOne(demo: Demo, newSession: (out: ConstructorParameters<typeof Session>[1]) => Session, showTranscript: boolean): Promise<DemoVerdict> {
  const started = Date.now();
  const term = new Terminal();
  let exited: number | undefined;
  const session = newSession({
    output: (frame) => term.write(frame),
    ready: () => (exited = undefined),
    exit: (e) => (exited = e.code),
    error: () => {},
    inspector: () => {},
    lessonStatus: () => {},
    limits: () => {},
    progress: () => {},
  });
  term.attach(session);
  const fail = (reason: string): DemoVerdict => ({ id: demo.view.id, passed: false, reason, transcript: term.tail(TRANSCRIPT_CHARS), ms: Date.now() - started });
  try {
    await session.start({ cols: 120, rows: 40 });
    await term.waitForPrompt(0, 'the shell never showed its first prompt');
    let current = session.currentSpec;
    for (const step of demo.view.steps) {
      const where = `step ${step.index + 1} (${step.id})`;
      if (JSON.stringify(step.settings) !== JSON.stringify(current)) {
        const from = term.length;
        try {
          await session.applySpec(step.settings).catch(async (err: unknown) => {
            if (!(err instanceof LabError && err.code === 'rate_limited')) throw err;
            await new Promise((r) => setTimeout(r, RESPAWN_RATE_WAIT_MS));
            return session.applySpec(step.settings);
          });
        } catch (err) {
          return fail(`${where}: its settings were refused: ${(err as Error).message}`);
        }
        current = step.settings;
        await term.waitForPrompt(from, `${where}: the new shell never showed its prompt`);
      }
      for (const command of step.commands) {
        const from = term.length;
        session.input(`${command}\r`);
        await term.waitForPrompt(from, `${where}: "${command}" did not come back to the prompt`);
        if (exited !== undefined) return fail(`${where}: the shell exited (code ${exited}) after "${command}"`);
        const said = term.textSince(from);
        if (COULD_NOT_RUN.test(said)) return fail(`${where}: "${command}" could not run: ${said.match(COULD_NOT_RUN)![0].trim()}`);
      }
      for (const command of step.hostCommands) {
        const run = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8', timeout: HOST_COMMAND_TIMEOUT_MS });
        if (run.status === 127 || run.error) return fail(`${where}: host command "${command}" could not run: ${(run.stderr || run.error?.message || '').trim()}`);
      }
    }
    // --transcript: the whole talk as the shell showed it, to read through before giving it.
    return { id: demo.view.id, passed: true, ms: Date.now() - started, ...(showTranscript ? { transcript: term.textSince(0) } : {}) };
  } catch (err) {
    return fail(err instanceof WalkError ? err.message : `the session failed: ${(err as Error).message}`);
  } finally {
    const pid = session.shellPid;
    session.dispose();
    if (pid) await waitUntil(() => (alive(pid) ? undefined : true), STOP_TIMEOUT_MS);
  }
}

export function formatDemoVerdict(v: DemoVerdict): string[] {
  const lines = [`${v.passed ? 'PASS' : 'FAIL'} ${v.id} (${(v.ms / 1000).toFixed(1)} s)`];
  if (v.passed && !v.transcript) return lines;
  if (v.reason) lines.push(`     ${v.reason}`);
  if (v.transcript) lines.push('     the end of the terminal:', ...v.transcript.split('\n').map((l) => `     | ${l}`));
  return lines;
}

