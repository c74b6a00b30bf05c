// Light and dark: the system's preference until the learner picks one with the header button;
// the pick is remembered in localStorage. CSS reads <html data-theme>, xterm.js gets a palette.
import type { ITheme } from '@xterm/xterm';
import { h } from './dom.js';
import { remembered } from './remembered.js';

export type Theme = 'light' | 'dark';

const stored = remembered('isolab.theme');
const DARK_QUERY = '(prefers-color-scheme: dark)';

/** A stored pick wins; otherwise the system preference. */
export function resolveTheme(stored: string | null, prefersDark: boolean): Theme {
  if (stored === 'light' || stored === 'dark') return stored;
  return prefersDark ? 'dark' : 'light';
}

export class ThemeSwitch {
  private current: Theme;
  private readonly media = window.matchMedia(DARK_QUERY);

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly onChange: (theme: Theme) => void,
  ) {
    this.current = resolveTheme(stored.read(), this.media.matches);
    this.apply();
    button.addEventListener('click', () => {
      this.current = this.current === 'dark' ? 'light' : 'dark';
      stored.write(this.current);
      this.apply();
      this.onChange(this.current);
    });
    this.media.addEventListener('change', () => {
      if (stored.read() !== null) return; // an explicit pick outranks the system
      this.current = resolveTheme(null, this.media.matches);
      this.apply();
      this.onChange(this.current);
    });
  }

  get theme(): Theme {
    return this.current;
  }

  private apply(): void {
    document.documentElement.dataset['theme'] = this.current;
    const next = this.current === 'dark' ? 'light' : 'dark';
    this.button.setAttribute('aria-label', `Switch to ${next} theme`);
    this.button.title = `Switch to ${next} theme`;
    this.button.replaceChildren(
      h('span', { class: 'theme-icon', 'aria-hidden': 'true' }, next === 'light' ? '☀' : '☾'),
      h('span', { class: 'theme-text' }, next === 'light' ? 'Light' : 'Dark'),
    );
  }
}

/**
 * Terminal palettes matched to the page; xterm's minimumContrastRatio keeps ANSI colours readable
 * on both. Presenter mode (highContrast) puts the text on pure black or white, as its page does.
 */
export function terminalTheme(theme: Theme, highContrast = false): ITheme {
  const base = palette(theme);
  if (!highContrast) return base;
  return theme === 'dark'
    ? { ...base, background: '#000000', foreground: '#ffffff', cursor: '#ffffff', cursorAccent: '#000000' }
    : { ...base, background: '#ffffff', foreground: '#000000', cursor: '#000000', cursorAccent: '#ffffff' };
}

function palette(theme: Theme): ITheme {
  return theme === 'dark'
    ? {
        background: '#0d1117',
        foreground: '#e6edf3',
        cursor: '#e6edf3',
        cursorAccent: '#0d1117',
        selectionBackground: '#264f78',
        black: '#484f58',
        red: '#ff7b72',
        green: '#3fb950',
        yellow: '#d29922',
        blue: '#58a6ff',
        magenta: '#bc8cff',
        cyan: '#39c5cf',
        white: '#b1bac4',
        brightBlack: '#6e7681',
        brightRed: '#ffa198',
        brightGreen: '#56d364',
        brightYellow: '#e3b341',
        brightBlue: '#79c0ff',
        brightMagenta: '#d2a8ff',
        brightCyan: '#56d4dd',
        brightWhite: '#ffffff',
      }
    : {
        background: '#fbfbfa',
        foreground: '#1f2328',
        cursor: '#1f2328',
        cursorAccent: '#fbfbfa',
        selectionBackground: '#b6d6fd',
        black: '#24292f',
        red: '#cf222e',
        green: '#116329',
        yellow: '#7d4e00',
        blue: '#0550ae',
        magenta: '#8250df',
        cyan: '#0a6b75',
        white: '#6e7781',
        brightBlack: '#57606a',
        brightRed: '#a40e26',
        brightGreen: '#1a7f37',
        brightYellow: '#633c01',
        brightBlue: '#0969da',
        brightMagenta: '#a475f9',
        brightCyan: '#1b7c83',
        brightWhite: '#8c959f',
      };
}
