import type { ClientStorage } from './options.js';

/** A message written but not yet acknowledged by the server. */
export interface OutboxEntry {
  clientMsgId: string;
  conversationId: string;
  /** The text, or the caption of a file message (may be empty then). */
  text: string;
  /** The uploaded file of a file message. */
  mediaId?: string;
  replyToId?: string;
  /** A private staff note in a customer conversation. */
  note?: boolean;
  createdAt: number;
}

const PREFIX = 'kurier:outbox:';

/**
 * The persistent outbox: an entry is stored before the first send attempt and removed only on
 * ack or a permanent error, so a crash or reload resends it — exactly once thanks to clientMsgId.
 */
export class Outbox {
  readonly #storage: ClientStorage;
  #counter = Date.now();
  /**
   * The storage key of each entry this outbox wrote or listed. An ack then deletes one key: a
   * scan of all keys per ack made flushing a long outbox quadratic (in IndexedDB, a range read
   * per message).
   */
  readonly #keys = new Map<string, string>();

  constructor(storage: ClientStorage) {
    this.#storage = storage;
  }

  async add(entry: OutboxEntry): Promise<void> {
    // Keys sort by creation so a reload resends in the order the user wrote.
    this.#counter = Math.max(this.#counter + 1, Date.now());
    const key = `${PREFIX}${this.#counter.toString(36).padStart(10, '0')}:${entry.clientMsgId}`;
    // One entry per clientMsgId: writing one again (a caller's own retry) replaces it.
    const before = this.#keys.get(entry.clientMsgId);
    this.#keys.set(entry.clientMsgId, key);
    await this.#storage.set(key, JSON.stringify(entry));
    if (before !== undefined) await this.#storage.delete(before);
  }

  /** Only entries this outbox wrote or listed: the client sends no others. */
  async remove(clientMsgId: string): Promise<void> {
    const key = this.#keys.get(clientMsgId);
    if (key === undefined) return;
    this.#keys.delete(clientMsgId);
    await this.#storage.delete(key);
  }

  async entries(): Promise<OutboxEntry[]> {
    const keys = (await this.#storage.keys(PREFIX)).sort();
    const out: OutboxEntry[] = [];
    for (const key of keys) {
      const raw = await this.#storage.get(key);
      if (!raw) continue;
      const entry = JSON.parse(raw) as OutboxEntry;
      this.#keys.set(entry.clientMsgId, key);
      out.push(entry);
    }
    return out;
  }
}
