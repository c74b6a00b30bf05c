// The last recording of each demo, kept in this browser (IndexedDB: a recording may be megabytes,
// more than localStorage holds), so Plan B works after a reload and without the network.
const DB_NAME = 'isolab-recordings';
const STORE = 'last';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB is not available'));
  });
}

async function run<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = act(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB failed'));
    });
  } finally {
    db.close();
  }
}

export interface StoredRecording {
  cast: string;
  /** When it was made (ms since the epoch). */
  at: number;
}

/** KEY: the demo's id, or '' for a session outside a demo. */
export async function saveRecording(key: string, cast: string): Promise<void> {
  await run('readwrite', (s) => s.put({ cast, at: Date.now() } satisfies StoredRecording, key));
}

export async function loadRecording(key: string): Promise<StoredRecording | null> {
  try {
    return ((await run('readonly', (s) => s.get(key))) as StoredRecording | undefined) ?? null;
  } catch {
    return null; // storage disabled (a private window): no rehearsal to fall back on
  }
}
