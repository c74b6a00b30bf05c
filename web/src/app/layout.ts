// Which of the page's layouts applies now. The breakpoints live in one place, styles.css, which
// sets --layout on :root:
//   wide     three columns: lesson · terminal · side pane (from 88rem, 1408 px, up)
//   compact  lesson · terminal · a rail of the side pane's tabs; a tab opens its panel over the
//            lesson column, so the terminal keeps its width (1024 and 1280 px screens)
//   narrow   one column, the terminal first (phones, high zoom)
// Presenter mode is always laid out wide.
export type Layout = 'wide' | 'compact' | 'narrow';

export function currentLayout(): Layout {
  const value = getComputedStyle(document.documentElement).getPropertyValue('--layout').trim();
  return value === 'compact' || value === 'narrow' ? value : 'wide';
}

/** Calls LISTENER with the new layout whenever it changes (window resized, zoom, presenter mode). */
export function watchLayout(listener: (layout: Layout) => void): { check(): void } {
  let last = currentLayout();
  const check = (): void => {
    const now = currentLayout();
    if (now === last) return;
    last = now;
    listener(now);
  };
  window.addEventListener('resize', check);
  return { check };
}
