// Who is learning, across visits: a random id kept in this browser's localStorage and sent with
// session:start, so the server can give back the lessons and checks done before. It is not a
// secret and grants nothing; it only keys saved progress.

const STORAGE_KEY = 'isolab.learner';
/** The shape the server accepts (common/protocol.ts LearnerId): a random (version 4) UUID. */
export const LEARNER_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A version 4 UUID from getRandomValues: crypto.randomUUID exists only in secure contexts, and a
 * workshop server is often reached over plain http on a LAN address.
 */
export function randomUuid(fill: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const b = fill(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The stored id, or a new one stored now; undefined when storage is unavailable (progress is then not saved). */
export function learnerId(storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeLocalStorage(), make: () => string = () => randomUuid()): string | undefined {
  if (!storage) return undefined;
  try {
    const stored = storage.getItem(STORAGE_KEY);
    if (stored && LEARNER_ID_RE.test(stored)) return stored;
    const id = make();
    storage.setItem(STORAGE_KEY, id);
    // Read back: a storage that silently drops writes would give a new learner on every visit.
    return storage.getItem(STORAGE_KEY) === id ? id : undefined;
  } catch {
    return undefined;
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
