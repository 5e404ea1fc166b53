/**
 * The JSON of messages this thread created lately while a member of their conversation was
 * offline (`SendItem.keep`), by the change id that created them: what a catch-up page takes
 * instead of having SQLite build it again (`sync/store-sqlite.ts`). The device coming back asks
 * for exactly these, and building them in SQLite was half of a page's time (docs/benchmarks.md,
 * 2026-12-07). Messages that everyone received live are not kept, so a busy server where
 * everyone is online pays nothing for it.
 *
 * An entry is right for as long as its message is unchanged: every change to a message (edit,
 * delete, reaction) gives it a new change id, so a lookup by the message's current change id
 * finds its entry only while it still is what was created. Creation ids are never handed out
 * twice once committed; entries are added after the commit (`afterCommit`) for that reason.
 * Messages with a file are not kept: the file's row (its thumbnail) may change after the send.
 */
export class RecentJson {
  readonly #byChange = new Map<number, string>();
  readonly #budget: number;
  #size = 0;

  /** `budget`: the most UTF-16 code units kept (a one-byte string costs a byte per unit, others two). */
  constructor(budget: number) {
    this.#budget = budget;
  }

  add(changeId: number, json: string): void {
    if (json.length > this.#budget || this.#byChange.has(changeId)) return;
    this.#byChange.set(changeId, json);
    this.#size += json.length;
    // A Map iterates in insertion order, and messages are created in change-id order: the
    // oldest entries go first.
    for (const [oldest, value] of this.#byChange) {
      if (this.#size <= this.#budget) break;
      this.#byChange.delete(oldest);
      this.#size -= value.length;
    }
  }

  get(changeId: number): string | undefined {
    return this.#byChange.get(changeId);
  }

  get size(): number {
    return this.#byChange.size;
  }
}

/**
 * This thread's messages. 8 Mi code units: ~15,000 messages of 550 bytes of JSON, 8–16 MiB.
 * Each thread has its own (a module instance per thread); the SQLite thread fills it.
 */
export const recentJson = new RecentJson(8 * 1024 * 1024);
