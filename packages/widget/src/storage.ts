import type { ClientStorage } from '@kurier/sdk';

type Snapshot = Record<string, string>;

/** Where the snapshot lives between page loads. */
interface Backend {
  load(): Promise<Snapshot>;
  save(snapshot: Snapshot | null): void;
}

function localBackend(name: string): Backend | null {
  try {
    const store = globalThis.localStorage;
    store.setItem(`${name}:probe`, '1');
    store.removeItem(`${name}:probe`);
    return {
      load: async () => JSON.parse(store.getItem(name) ?? '{}') as Snapshot,
      save: (s) => (s ? store.setItem(name, JSON.stringify(s)) : store.removeItem(name)),
    };
  } catch {
    return null;
  }
}

/**
 * Browsers that refuse storage to third-party frames (Chromium with third-party cookies blocked,
 * Safari) leave the frame without localStorage. The embed script then keeps the snapshot in the
 * website's own localStorage and answers over postMessage (see loader.ts).
 */
function parentBackend(): Backend | null {
  if (window.parent === window) return null;
  const parent = window.parent;
  return {
    load: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => done({}), 1500);
        function done(s: Snapshot) {
          clearTimeout(timer);
          window.removeEventListener('message', onMessage);
          resolve(s);
        }
        function onMessage(event: MessageEvent) {
          const data = event.data as { type?: string; value?: string | null } | null;
          if (event.source !== parent || data?.type !== 'kurier:storage') return;
          try {
            done(JSON.parse(data.value ?? '{}') as Snapshot);
          } catch {
            done({});
          }
        }
        window.addEventListener('message', onMessage);
        parent.postMessage({ type: 'kurier:storage:get' }, '*');
      }),
    // The token rides in here, so it goes only to the page the loader runs in (its reply proved it).
    save: (s) => parent.postMessage({ type: 'kurier:storage:set', value: s ? JSON.stringify(s) : null }, '*'),
  };
}

/**
 * The widget's storage for the SDK (outbox, cursor) and the visitor's token: a map in memory,
 * saved as one snapshot to localStorage, or through the embedding page where the frame may not
 * use it, so a visitor survives a reload either way.
 */
export class WidgetStorage implements ClientStorage {
  readonly #map = new Map<string, string>();
  readonly #backend: Backend | null;

  private constructor(backend: Backend | null) {
    this.#backend = backend;
  }

  /** Opens the storage of one widget key and loads what an earlier visit kept. */
  static async open(key: string): Promise<WidgetStorage> {
    const storage = new WidgetStorage(localBackend(`kurier-widget:${key}`) ?? parentBackend());
    for (const [k, v] of Object.entries((await storage.#backend?.load()) ?? {})) storage.#map.set(k, v);
    return storage;
  }

  #persist(): void {
    this.#backend?.save(Object.fromEntries(this.#map));
  }

  async get(key: string): Promise<string | null> {
    return this.#map.get(key) ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    this.#map.set(key, value);
    this.#persist();
  }

  async delete(key: string): Promise<void> {
    this.#map.delete(key);
    this.#persist();
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.#map.keys()].filter((k) => k.startsWith(prefix));
  }

  /** Forgets the visitor (a session that no longer works). */
  clear(): void {
    this.#map.clear();
    this.#backend?.save(null);
  }
}
