// The page's keyboard shortcuts, in one place. All use Alt: Ctrl+= / Ctrl+- are the browser's
// zoom, and every Ctrl letter means something to the shell. They are caught before the terminal
// sees them (a capture listener on the document), so the shell never receives them.
//
//   Alt+=  Alt+-  Alt+0            text size (terminal and lesson): larger, smaller, 100 %
//   presenter mode only:
//   Alt+letter                     flip a switch (present/switch-keys.ts, shown in the legend)
//   Alt+PageDown  Alt+PageUp       next / previous step
//   Alt+Enter                      run the step's command
import type { ToggleId } from '../../../common/spec.js';
import { switchForCode } from '../present/switch-keys.js';

export type Shortcut =
  | { kind: 'text-size'; delta: -1 | 0 | 1 }
  | { kind: 'toggle'; id: ToggleId }
  | { kind: 'step'; delta: -1 | 1 }
  | { kind: 'run-step' };

/** The parts of a KeyboardEvent a shortcut depends on. */
export type KeyLike = Pick<KeyboardEvent, 'code' | 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey'>;

export function shortcutFor(ev: KeyLike, presenting: boolean): Shortcut | null {
  if (!ev.altKey || ev.ctrlKey || ev.metaKey) return null;
  switch (ev.code) {
    case 'Equal':
    case 'NumpadAdd':
      return { kind: 'text-size', delta: 1 };
    case 'Minus':
    case 'NumpadSubtract':
      return ev.shiftKey ? null : { kind: 'text-size', delta: -1 };
    case 'Digit0':
    case 'Numpad0':
      return ev.shiftKey ? null : { kind: 'text-size', delta: 0 };
  }
  if (!presenting || ev.shiftKey) return null;
  if (ev.code === 'PageDown') return { kind: 'step', delta: 1 };
  if (ev.code === 'PageUp') return { kind: 'step', delta: -1 };
  if (ev.code === 'Enter' || ev.code === 'NumpadEnter') return { kind: 'run-step' };
  const id = switchForCode(ev.code);
  return id ? { kind: 'toggle', id } : null;
}

/** Listens for the shortcuts; `presenting` is asked on every key, since the mode can change. */
export function installShortcuts(presenting: () => boolean, run: (shortcut: Shortcut) => void): void {
  document.addEventListener(
    'keydown',
    (ev) => {
      const shortcut = shortcutFor(ev, presenting());
      if (!shortcut) return;
      ev.preventDefault();
      ev.stopPropagation(); // the terminal (xterm's textarea) must not also send it to the shell
      // Holding Alt+= grows the text step by step; holding Alt+U must not flip a switch back and forth.
      if (ev.repeat && shortcut.kind !== 'text-size') return;
      run(shortcut);
    },
    { capture: true },
  );
}
