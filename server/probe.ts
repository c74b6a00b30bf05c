// Runs the C probe (native/probe) and parses its report: on the host directly, and inside a
// running container through `isolab-launcher --join PID` (the launcher enters the namespaces; Node never does).
import { execFile } from 'node:child_process';
import { ProbeReport } from '../common/probe.js';
import type { LabPaths } from './paths.js';

/** A probe answers in a few milliseconds; five seconds means something is wrong (e.g. a frozen cgroup). */
const PROBE_TIMEOUT_MS = 5_000;
const PROBE_MAX_OUTPUT = 1024 * 1024;
/** The host's own view changes rarely; one probe per second serves every session. */
const HOST_PROBE_TTL_MS = 1_000;

function runProbe(file: string, args: string[]): Promise<ProbeReport> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: PROBE_TIMEOUT_MS, maxBuffer: PROBE_MAX_OUTPUT, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`probe failed: ${err.message}${stderr ? ` (${stderr.trim().slice(0, 300)})` : ''}`));
        try {
          resolve(ProbeReport.parse(JSON.parse(stdout)));
        } catch (parseErr) {
          reject(new Error(`probe printed an unexpected report: ${(parseErr as Error).message.slice(0, 300)}`));
        }
      },
    );
  });
}

export class Prober {
  private hostCache: { at: number; report: Promise<ProbeReport> } | undefined;

  constructor(private readonly paths: Pick<LabPaths, 'launcher' | 'probe'>) {}

  /** What the host sees (cached briefly, shared by all sessions). */
  host(): Promise<ProbeReport> {
    const now = Date.now();
    if (!this.hostCache || now - this.hostCache.at > HOST_PROBE_TTL_MS) {
      const report = runProbe(this.paths.probe, []);
      report.catch(() => (this.hostCache = undefined));
      this.hostCache = { at: now, report };
    }
    return this.hostCache.report;
  }

  /** What a process inside the namespaces of `pid` sees. */
  container(pid: number): Promise<ProbeReport> {
    if (!Number.isSafeInteger(pid) || pid <= 0) return Promise.reject(new Error(`bad pid ${pid}`));
    return runProbe(this.paths.launcher, ['--join', String(pid), '--', this.paths.probe]);
  }
}
