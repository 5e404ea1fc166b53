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

  constructor(storage: ClientStorage) {
    this.#storage = storage;
  }

  async add(entry: OutboxEntry): Promise<void> {
    // Keys sort by creation so a reload resends in the order the user wrote.
    this.#counter = Math.max(this.#counter + 1, Date.now());
    await this.#storage.set(
      `${PREFIX}${this.#counter.toString(36).padStart(10, '0')}:${entry.clientMsgId}`,
      JSON.stringify(entry),
    );
  }

  async remove(clientMsgId: string): Promise<void> {
    for (const key of await this.#storage.keys(PREFIX)) {
      if (key.endsWith(`:${clientMsgId}`)) await this.#storage.delete(key);
    }
  }

  async entries(): Promise<OutboxEntry[]> {
    const keys = (await this.#storage.keys(PREFIX)).sort();
    const out: OutboxEntry[] = [];
    for (const key of keys) {
      const raw = await this.#storage.get(key);
      if (raw) out.push(JSON.parse(raw) as OutboxEntry);
    }
    return out;
  }
}
