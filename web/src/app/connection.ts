// The header's connection indicator: a word and a dot, never colour alone.

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized' | 'offline';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Connection lost — reconnecting…',
  unauthorized: 'Not authorised',
  offline: 'Disconnected',
};

export class ConnectionIndicator {
  private state: ConnectionState = 'connecting';

  constructor(private readonly el: HTMLElement) {
    this.set('connecting');
  }

  get current(): ConnectionState {
    return this.state;
  }

  set(state: ConnectionState): void {
    this.state = state;
    this.el.dataset['state'] = state;
    const dot = document.createElement('span');
    dot.className = 'connection-dot';
    dot.setAttribute('aria-hidden', 'true');
    this.el.replaceChildren(dot, LABELS[state]);
  }
}
