// Every OS resource a session owns (pty, launcher, timers, listeners) is registered here, so one
// dispose() releases all of them, in reverse order, exactly once.
export type Disposer = () => void;

export class DisposableStore {
  private readonly disposers: Disposer[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Registers a disposer; if the store is already disposed it runs at once (late resources are not leaked). */
  add(disposer: Disposer): Disposer {
    if (this.disposed) {
      safely(disposer);
      return disposer;
    }
    this.disposers.push(disposer);
    return disposer;
  }

  /** Removes and runs one disposer early (e.g. a pty replaced by a respawn). */
  release(disposer: Disposer): void {
    const i = this.disposers.indexOf(disposer);
    if (i >= 0) {
      this.disposers.splice(i, 1);
      safely(disposer);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    while (this.disposers.length) safely(this.disposers.pop()!);
  }
}

function safely(fn: Disposer): void {
  try {
    fn();
  } catch (err) {
    // A failing disposer must not stop the others from releasing their resources.
    console.error('[isolab] dispose failed:', err);
  }
}
