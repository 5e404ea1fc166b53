import type { ClientStorage } from '@kurier/sdk';
import { type IDBPDatabase, openDB } from 'idb';

const STORE = 'kv';

/**
 * The SDK's storage in IndexedDB: the outbox and the sync cursor survive reloads and offline
 * periods, so a message written offline is sent exactly once when the connection returns.
 * One database per user, so a second account on the same browser never sees the first's outbox.
 */
export class IndexedDbStorage implements ClientStorage {
  readonly #db: Promise<IDBPDatabase>;

  constructor(name: string) {
    this.#db = openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore(STORE);
      },
    });
  }

  async get(key: string): Promise<string | null> {
    return ((await (await this.#db).get(STORE, key)) as string | undefined) ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    await (await this.#db).put(STORE, value, key);
  }

  async delete(key: string): Promise<void> {
    await (await this.#db).delete(STORE, key);
  }

  async keys(prefix: string): Promise<string[]> {
    // Keys sort by code unit; every key with the prefix lies in [prefix, prefix + U+FFFF).
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    return (await (await this.#db).getAllKeys(STORE, range)).map(String);
  }
}
