// The header's lesson picker: a disclosure with one link per lesson. Links only change the hash
// (#/lesson/ID); main.ts turns hash changes into lesson:open, so the back button and bookmarks work.
import type { LearnerProgress, LessonSummary } from '../../../common/protocol.js';
import { h } from '../app/dom.js';
import { lessonHash } from '../app/url.js';

export class LessonMenu {
  private readonly details: HTMLDetailsElement;
  private readonly current: HTMLElement;
  private readonly list: HTMLOListElement;
  private lessons: LessonSummary[] = [];
  private currentId: string | undefined;
  private progress: LearnerProgress | null = null;
  private readonly saving: HTMLElement;

  constructor(root: HTMLElement) {
    this.current = h('span', { class: 'lesson-menu-current' }, 'Loading…');
    this.list = h('ol', { class: 'lesson-menu-list' });
    this.saving = h('p', { class: 'lesson-menu-saving', 'data-testid': 'progress-saving' });
    this.details = h(
      'details',
      { class: 'lesson-menu' },
      h('summary', {}, h('span', { class: 'lesson-menu-label' }, 'Lesson'), ' ', this.current),
      h('nav', { 'aria-label': 'Lessons' }, this.list, this.saving),
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

  /** Ticks for completed lessons, a dot for started ones, and whether progress is saved. */
  setProgress(progress: LearnerProgress): void {
    this.progress = progress;
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
      ...this.lessons.map((l) => {
        const state = lessonState(this.progress, l.id);
        return h(
          'li',
          {},
          h(
            'a',
            { href: lessonHash(l.id), 'aria-current': l.id === this.currentId ? 'page' : null, 'data-testid': `lesson-link-${l.id}`, 'data-progress': state },
            h('span', { class: 'lesson-num' }, String(l.number)),
            h('span', { class: 'lesson-menu-title' }, l.title),
            h('span', { class: 'lesson-primitive' }, l.primitive),
            h(
              'span',
              { class: 'lesson-progress', title: PROGRESS_TEXT[state] },
              h('span', { 'aria-hidden': 'true' }, PROGRESS_MARK[state]),
              h('span', { class: 'visually-hidden' }, PROGRESS_TEXT[state]),
            ),
          ),
        );
      }),
    );
    const p = this.progress;
    this.saving.textContent = !p ? '' : p.saving ? 'Your progress is saved on this server.' : (p.problem ?? 'Your progress is not being saved.');
    this.saving.dataset['saving'] = String(p?.saving ?? false);
  }
}

type LessonState = 'completed' | 'started' | 'new';
const PROGRESS_MARK: Record<LessonState, string> = { completed: '✓', started: '•', new: '' };
const PROGRESS_TEXT: Record<LessonState, string> = { completed: 'completed', started: 'started', new: 'not started' };

export function lessonState(progress: LearnerProgress | null, id: string): LessonState {
  const lesson = progress?.lessons[id];
  return lesson?.completedAt ? 'completed' : lesson ? 'started' : 'new';
}
