// Presenter mode's keys for the toggle board: Alt + a letter flips a switch, so a speaker can
// change the container mid-sentence without reaching for the mouse. Letters follow the switch's
// name where they can; D, E and F are left out (Alt+D, Alt+E and Alt+F belong to the browser).
// Matched on the physical key (KeyboardEvent.code), so a Mac's Option key, which composes
// characters, works the same.
import { TOGGLE_IDS, type ToggleId } from '../../../common/spec.js';

export const SWITCH_KEYS: Readonly<Record<ToggleId, string>> = {
  uts: 'U',
  pid: 'P',
  mount: 'M',
  rootfs: 'R',
  readonly: 'O',
  masked: 'K',
  limits: 'L',
  net: 'N',
  bridge: 'B',
  ipc: 'I',
  user: 'A',
  cgroupns: 'G',
  caps: 'C',
  nnp: 'W',
  seccomp: 'S',
  landlock: 'T',
};

/** The browser's own Alt shortcuts (address bar, menus): never taken. */
export const BROWSER_ALT_KEYS = ['D', 'E', 'F'] as const;

const BY_CODE = new Map<string, ToggleId>(TOGGLE_IDS.map((id) => [`Key${SWITCH_KEYS[id]}`, id]));

/** The switch a key (KeyboardEvent.code, e.g. "KeyU") flips, if any. */
export function switchForCode(code: string): ToggleId | undefined {
  return BY_CODE.get(code);
}

/** "Alt+U", as the legend and aria-keyshortcuts write it. */
export function switchShortcut(id: ToggleId): string {
  return `Alt+${SWITCH_KEYS[id]}`;
}
