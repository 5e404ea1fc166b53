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
  // The kept change ids, oldest first, from `#head` on. Evicting by iterating the Map would start
  // at its first slot each time and step over every entry deleted since V8 last compacted it:
  // thousands once the budget is reached, ~6 µs a send (docs/benchmarks.md, 2026-12-07).
  #order: number[] = [];
  #head = 0;
  readonly #budget: number;
  #size = 0;

  /** `budget`: the most UTF-16 code units kept (a one-byte string costs a byte per unit, others two). */
  constructor(budget: number) {
    this.#budget = budget;
  }

  add(changeId: number, json: string): void {
    if (json.length > this.#budget || this.#byChange.has(changeId)) return;
    this.#byChange.set(changeId, json);
    this.#order.push(changeId);
    this.#size += json.length;
    // Messages are created in change-id order: the oldest entries go first.
    while (this.#size > this.#budget) {
      const oldest = this.#order[this.#head++] as number;
      this.#size -= this.#byChange.get(oldest)?.length ?? 0;
      this.#byChange.delete(oldest);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#head);
      this.#head = 0;
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
