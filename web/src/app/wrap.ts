// Where long machine text may break in a narrow column: after punctuation (/ , = : _ . - |) as
// well as at spaces, so "CAP_SYS_ADMIN" or a long mount path wraps at "_" or "/" instead of in the
// middle of a word. The page puts a <wbr> at each such point and leaves words whole (no
// word-break: break-all).
import { h } from './dom.js';

/** A break may follow these. A "-" only after a letter or digit, so "-1" and "--cap-drop" stay intact at their start. */
const AFTER = /([/,=:_.|])|((?<=[A-Za-z0-9])-)/g;

/** TEXT cut where a line may break; joined again they are TEXT. */
export function breakSegments(text: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (const m of text.matchAll(AFTER)) {
    const end = m.index + m[0].length;
    if (end >= text.length) break;
    out.push(text.slice(from, end));
    from = end;
  }
  out.push(text.slice(from));
  return out.filter((s) => s !== '');
}

/** TEXT as nodes with a <wbr> at each break point. */
export function wrappable(text: string): Node[] {
  const nodes: Node[] = [];
  breakSegments(text).forEach((segment, i) => {
    if (i > 0) nodes.push(h('wbr'));
    nodes.push(document.createTextNode(segment));
  });
  return nodes;
}
