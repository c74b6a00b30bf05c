// F6 / Shift-F6 move focus between the page's regions (lesson, terminal, switches), as in desktop
// apps. The terminal keeps Tab for the shell's completion, so this is the way out of it.

export interface Region {
  el: HTMLElement;
  focus(): void;
}

export function installRegionCycling(regions: Region[]): (backwards: boolean) => void {
  const move = (backwards: boolean): void => {
    // A region the layout hides (presenter mode has no lesson column) is skipped.
    const shown = regions.filter((r) => r.el.getClientRects().length > 0);
    const active = document.activeElement;
    const at = shown.findIndex((r) => active instanceof Node && r.el.contains(active));
    const step = backwards ? -1 : 1;
    const next = at < 0 ? (backwards ? shown.length - 1 : 0) : (at + step + shown.length) % shown.length;
    shown[next]?.focus();
  };
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'F6' || ev.ctrlKey || ev.altKey || ev.metaKey || ev.defaultPrevented) return;
    ev.preventDefault();
    move(ev.shiftKey);
  });
  return move;
}
