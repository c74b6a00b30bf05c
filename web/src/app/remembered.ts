// A preference the learner picked (the theme, the text size), kept in this browser's localStorage.
// Storage may be disabled (some private windows, locked-down browsers): then reading finds nothing,
// so the page uses its default, and a pick lasts for this page only.

export interface Remembered {
  /** The stored value; null when there is none or storage is disabled. */
  read(): string | null;
  write(value: string): void;
}

/** The preference stored under KEY. */
export function remembered(key: string): Remembered {
  return {
    read() {
      try {
        return window.localStorage.getItem(key);
      } catch {
        return null;
      }
    },
    write(value) {
      try {
        window.localStorage.setItem(key, value);
      } catch {
        // storage disabled: nothing to keep it in
      }
    },
  };
}
