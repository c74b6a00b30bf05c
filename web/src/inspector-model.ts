// What the inspector table shows, decided without the DOM: each namespace's inodes, whether the
// shell has its own (≠) or shares the host's (=), and which rows changed since the last view (a
// switch was flipped), so the table can point at them.
import type { InspectorRow, InspectorView } from '../../common/protocol.js';

export interface InspectorLine {
  name: string;
  container: string;
  host: string;
  differs: boolean;
  /** Visible marker: never colour alone. */
  symbol: '≠' | '=' | '?';
  /** The marker in words, for screen readers and the tooltip. */
  meaning: string;
  /** The row's verdict differs from the previous view's. */
  changed: boolean;
}

export function formatInode(inode: number | null): string {
  return inode === null ? '—' : String(inode);
}

function marker(row: InspectorRow): Pick<InspectorLine, 'symbol' | 'meaning'> {
  if (row.container === null || row.host === null) return { symbol: '?', meaning: 'unknown: no shell to compare' };
  return row.differs
    ? { symbol: '≠', meaning: 'own namespace (differs from the host)' }
    : { symbol: '=', meaning: 'same namespace as the host' };
}

export function inspectorLines(view: InspectorView, previous: InspectorView | null): InspectorLine[] {
  const before = new Map((previous?.rows ?? []).map((r) => [r.name, r]));
  return view.rows.map((row) => {
    const old = before.get(row.name);
    return {
      name: row.name,
      container: formatInode(row.container),
      host: formatInode(row.host),
      differs: row.differs,
      ...marker(row),
      changed: old !== undefined && old.differs !== row.differs,
    };
  });
}

/** "3 of 8 namespaces are the shell's own." */
export function inspectorSummary(view: InspectorView): string {
  if (view.containerPid === null) return 'No shell is running.';
  const own = view.rows.filter((r) => r.differs).length;
  if (own === 0) return `None of ${view.rows.length} namespaces are the shell's own: it is a plain host process.`;
  return `${own} of ${view.rows.length} namespaces are the shell's own.`;
}
