// The header's lesson picker: a disclosure with one link per lesson. Links only change the hash
// (#/lesson/ID); main.ts turns hash changes into lesson:open, so the back button and bookmarks work.
import type { LessonSummary } from '../../common/protocol.js';
import { h } from './dom.js';
import { lessonHash } from './url.js';

export class LessonMenu {
  private readonly details: HTMLDetailsElement;
  private readonly current: HTMLElement;
  private readonly list: HTMLOListElement;
  private lessons: LessonSummary[] = [];
  private currentId: string | undefined;

  constructor(root: HTMLElement) {
    this.current = h('span', { class: 'lesson-menu-current' }, 'Loading…');
    this.list = h('ol', { class: 'lesson-menu-list' });
    this.details = h(
      'details',
      { class: 'lesson-menu' },
      h('summary', {}, h('span', { class: 'lesson-menu-label' }, 'Lesson'), ' ', this.current),
      h('nav', { 'aria-label': 'Lessons' }, this.list),
    );
    root.replaceChildren(this.details);
    this.list.addEventListener('click', (ev) => {
      if ((ev.target as Element).closest('a')) this.close(false);
    });
    this.details.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.details.open) {
        ev.preventDefault();
        this.close(true);
      }
    });
    document.addEventListener('click', (ev) => {
      if (this.details.open && !this.details.contains(ev.target as Node)) this.close(false);
    });
  }

  setLessons(lessons: LessonSummary[]): void {
    this.lessons = lessons;
    this.render();
  }

  setCurrent(id: string): void {
    this.currentId = id;
    this.render();
  }

  private close(focusSummary: boolean): void {
    this.details.open = false;
    if (focusSummary) this.details.querySelector('summary')?.focus();
  }

  private render(): void {
    const current = this.lessons.find((l) => l.id === this.currentId);
    this.current.textContent = current ? `${current.number} · ${current.title}` : this.lessons.length ? 'Choose…' : 'Loading…';
    this.list.replaceChildren(
      ...this.lessons.map((l) =>
        h(
          'li',
          {},
          h(
            'a',
            { href: lessonHash(l.id), 'aria-current': l.id === this.currentId ? 'page' : null },
            h('span', { class: 'lesson-num' }, String(l.number)),
            h('span', { class: 'lesson-menu-title' }, l.title),
            h('span', { class: 'lesson-primitive' }, l.primitive),
          ),
        ),
      ),
    );
  }
}
