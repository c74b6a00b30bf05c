// The line above the terminal: how fast the last shell started, its host PID, or — once it has
// exited — its exit code and a way to start a new one.
import type { SandboxReady } from '../../../common/protocol.js';
import { h } from '../app/dom.js';
import { describeExit, formatMicros } from '../app/format.js';

export interface ShellStatusDeps {
  /** Starts a new shell with the current settings; resolves once the server answered. */
  restart(): Promise<void>;
}

export class ShellStatus {
  constructor(
    private readonly el: HTMLElement,
    private readonly deps: ShellStatusDeps,
  ) {
    this.el.textContent = 'Starting a shell…';
  }

  ready(ready: SandboxReady): void {
    this.el.dataset['state'] = 'ready';
    this.el.replaceChildren(
      h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
      `Shell ready in ${formatMicros(ready.spawnToReadyUs)}`,
      h('span', { class: 'muted' }, ` · host PID ${ready.pid}`),
    );
  }

  exited(code: number): void {
    this.el.dataset['state'] = 'exited';
    const restart = h('button', { type: 'button', class: 'restart' }, 'Start a new shell');
    let starting = false;
    restart.addEventListener('click', () => {
      if (starting) return;
      starting = true;
      restart.setAttribute('aria-disabled', 'true');
      restart.textContent = 'Starting…';
      void this.deps.restart().then(() => {
        // Success replaces this line (sandbox:ready arrives first); a failure leaves the button usable again.
        starting = false;
        restart.setAttribute('aria-disabled', 'false');
        restart.textContent = 'Start a new shell';
      });
    });
    this.el.replaceChildren(h('span', { class: 'status-dot', 'aria-hidden': 'true' }), `The shell ${describeExit(code)}. `, restart);
  }

  offline(): void {
    this.el.dataset['state'] = 'offline';
    this.el.textContent = 'No shell: the connection to the server is down.';
  }

  failed(message: string): void {
    this.el.dataset['state'] = 'exited';
    this.el.textContent = `No shell: ${message}`;
  }
}
