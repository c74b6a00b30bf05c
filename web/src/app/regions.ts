// F6 / Shift-F6 move focus between the page's regions (lesson, terminal, switches), as in desktop
// apps. The terminal keeps Tab for the shell's completion, so this is the way out of it.

export interface Region {
  el: HTMLElement;
  focus(): void;
}

export function installRegionCycling(regions: Region[]): (backwards: boolean) => void {
  const move = (backwards: boolean): void => {
    const active = document.activeElement;
    const at = regions.findIndex((r) => active instanceof Node && r.el.contains(active));
    const step = backwards ? -1 : 1;
    const next = at < 0 ? (backwards ? regions.length - 1 : 0) : (at + step + regions.length) % regions.length;
    regions[next]?.focus();
  };
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'F6' || ev.ctrlKey || ev.altKey || ev.metaKey || ev.defaultPrevented) return;
    ev.preventDefault();
    move(ev.shiftKey);
  });
  return move;
}
