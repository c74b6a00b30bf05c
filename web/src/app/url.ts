// What the page reads from its address: the lesson in the hash (#/lesson/01-uts-namespace), presenter
// mode (?present), and the access token the server printed (?token=…), which is taken out of the
// address bar at once so it does not end up in bookmarks, screenshots or the history.
import { DEMO_ID_RE } from '../../../common/demo.js';

/** The same shape the server validates (common/protocol.ts): "01-uts-namespace". */
const LESSON_ID_RE = /^[0-9]{2}-[a-z0-9-]{1,60}$/;
const HASH_PREFIX = '#/lesson/';

export function lessonIdFromHash(hash: string): string | undefined {
  if (!hash.startsWith(HASH_PREFIX)) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(hash.slice(HASH_PREFIX.length)).replace(/\/+$/, '');
  } catch {
    return undefined;
  }
  return LESSON_ID_RE.test(id) ? id : undefined;
}

export function lessonHash(id: string): string {
  return `${HASH_PREFIX}${id}`;
}

/** Splits `?token=` off a URL: the token, and the URL to show instead (null when there was none). */
export function takeToken(href: string): { token: string | null; cleanUrl: string | null } {
  const url = new URL(href);
  const token = url.searchParams.get('token');
  if (token === null) return { token: null, cleanUrl: null };
  url.searchParams.delete('token');
  return { token: token === '' ? null : token, cleanUrl: url.pathname + url.search + url.hash };
}

/** Presenter mode is asked for with ?present (any value, or none). */
export function presentingFromSearch(search: string): boolean {
  return new URLSearchParams(search).has('present');
}

/** HREF with ?present added or removed (written bare, "?present"), as a path for history.replaceState. */
export function withPresenting(href: string, on: boolean): string {
  const url = new URL(href);
  url.searchParams.delete('present');
  let search = url.searchParams.toString();
  if (on) search = search ? `${search}&present` : 'present';
  return `${url.pathname}${search ? `?${search}` : ''}${url.hash}`;
}

/** The scripted demo asked for with ?demo=ID (`isolab present DEMO` prints it), if its id is well formed. */
export function demoFromSearch(search: string): string | undefined {
  const id = new URLSearchParams(search).get('demo');
  return id && DEMO_ID_RE.test(id) && id.length <= 64 ? id : undefined;
}
