// One browser's comparison panel (container vs host vs gVisor vs VM): while it is open, every
// column that finishes measuring reaches this browser, and the learner's own container's column is
// measured again whenever their shell is replaced.
import type { CompareColumn, CompareView } from '../../common/compare.js';
import type { CompareService } from '../compare/service.js';
import type { Session } from '../session/session.js';

export class CompareWatch {
  private watching = false;
  private containerColumn: CompareColumn | undefined;
  private refreshing: Promise<CompareColumn> | undefined;
  private stale = false;
  private readonly offColumn: () => void;

  constructor(
    private readonly service: CompareService,
    private readonly shell: () => { session: Session | undefined; spawnToReadyMs: number | null },
    private readonly send: (view: CompareView) => void,
  ) {
    this.offColumn = service.onColumn(() => void this.push());
  }

  /** Opens the panel (REFRESH: measure gVisor and the VM again); updates follow until close(). */
  async open(refresh: boolean): Promise<CompareView> {
    this.watching = true;
    const [container, host] = await Promise.all([this.refreshContainer(), this.service.hostColumn()]);
    return this.service.view(container, host, refresh);
  }

  close(): void {
    this.watching = false;
  }

  /** A new shell is ready: while the panel is open, its column follows at once. */
  shellReplaced(): void {
    if (this.watching) void this.refreshContainer().then(() => this.push(), () => undefined);
  }

  dispose(): void {
    this.offColumn();
  }

  /** The learner's container's column, computed again (serialised: toggles can come fast). */
  private refreshContainer(): Promise<CompareColumn> {
    if (this.refreshing) {
      this.stale = true;
      return this.refreshing;
    }
    const s = this.shell().session;
    this.refreshing = (async () => {
      let col: CompareColumn;
      do {
        this.stale = false;
        // Its probes run in this learner's turn on the server-wide queue (session.queued).
        col = s
          ? await s.queued('compare-column', () =>
              this.service.containerColumn({ spec: s.currentSpec, shellPid: s.shellPid, launcherPid: s.launcherPid, joinOptions: s.joinOptions, spawnToReadyMs: this.shell().spawnToReadyMs }),
            )
          : { place: 'container', title: 'Container', state: 'error', message: 'no session', cached: false };
      } while (this.stale);
      this.containerColumn = col;
      return col;
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async push(): Promise<void> {
    if (!this.watching || !this.containerColumn) return;
    const host = await this.service.hostColumn();
    const { gvisor, vm } = this.service.sharedColumns();
    this.send({ columns: [this.containerColumn, host, gvisor, vm], generatedAt: new Date().toISOString() });
  }
}
