// Errors the learner must see (sandbox:error, session:error, failed requests): a stack of
// dismissible banners, role="alert" so screen readers announce them. The same message twice is
// shown once, with a count.

/** Older banners give way beyond this many: a flood must not push the lab off the screen. */
const MAX_ALERTS = 3;

export class Alerts {
  private readonly shown = new Map<string, { el: HTMLElement; count: number }>();

  constructor(private readonly root: HTMLElement) {}

  show(message: string, detail?: string): void {
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
    el.append(text, counter, close);
    close.addEventListener('click', () => this.dismiss(key));
    this.shown.set(key, { el, count: 1 });
    this.root.append(el);
    while (this.shown.size > MAX_ALERTS) {
      const oldest = this.shown.keys().next().value;
      if (oldest === undefined) break;
      this.dismiss(oldest);
    }
  }

  clear(): void {
    for (const key of [...this.shown.keys()]) this.dismiss(key);
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
