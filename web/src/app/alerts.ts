// Errors the learner must see (sandbox:error, session:error, failed requests): a stack of
// dismissible banners, role="alert" so screen readers announce them. The same message twice is
// shown once, with a count. A banner about the shell (its launch failed) goes once a shell is
// ready again: the learner fixed it, and a stale "could not start" would say otherwise.

/** What a banner is about, so the page can take it away when that is no longer true. */
export type AlertTopic = 'shell' | 'expiry';

/** Older banners give way beyond this many: a flood must not push the lab off the screen. */
const MAX_ALERTS = 3;

export class Alerts {
  private readonly shown = new Map<string, { el: HTMLElement; count: number; topic: AlertTopic | undefined }>();

  constructor(private readonly root: HTMLElement) {}

  show(message: string, detail?: string, topic?: AlertTopic): void {
    const key = `${message}\n${detail ?? ''}`;
    const existing = this.shown.get(key);
    if (existing) {
      existing.count++;
      const counter = existing.el.querySelector('.alert-count');
      if (counter) counter.textContent = `×${existing.count}`;
      return;
    }
    const text = document.createElement('p');
    text.className = 'alert-text';
    text.textContent = message;
    if (detail) {
      const small = document.createElement('span');
      small.className = 'alert-detail';
      small.textContent = ` ${detail}`;
      text.append(small);
    }
    const counter = document.createElement('span');
    counter.className = 'alert-count';
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'alert-close';
    close.textContent = '×';
    close.setAttribute('aria-label', 'Dismiss this message');
    const el = document.createElement('div');
    el.className = 'alert';
    el.setAttribute('role', 'alert');
    if (topic) el.dataset['topic'] = topic;
    el.append(text, counter, close);
    close.addEventListener('click', () => this.dismiss(key));
    this.shown.set(key, { el, count: 1, topic });
    this.root.append(el);
    while (this.shown.size > MAX_ALERTS) {
      const oldest = this.shown.keys().next().value;
      if (oldest === undefined) break;
      this.dismiss(oldest);
    }
  }

  /** Takes every banner away, or only those about TOPIC. */
  clear(topic?: AlertTopic): void {
    for (const [key, entry] of [...this.shown]) if (topic === undefined || entry.topic === topic) this.dismiss(key);
  }

  private dismiss(key: string): void {
    const entry = this.shown.get(key);
    if (!entry) return;
    const hadFocus = entry.el.contains(document.activeElement);
    entry.el.remove();
    this.shown.delete(key);
    if (hadFocus) document.getElementById('terminal')?.querySelector('textarea')?.focus();
  }
}
