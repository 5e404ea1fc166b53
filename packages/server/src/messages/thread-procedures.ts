import type { ErrorCode, Message } from '@kurier/protocol';
import type { ThreadContext } from '../db/sqlite-worker.js';
import { commitSends, type MediaLookup, type SendItem } from './batches.js';
import { sqliteSendStore } from './send-store-sqlite.js';
import { messagesStore } from './store.js';

/**
 * Per item: its message or its error (structured-clonable: code and message), or null when the
 * item takes the event loop's path (see `procedures.send`).
 */
export type ThreadSendResult = { ok: true; value: Message } | { ok: false; code: ErrorCode; message: string } | null;

/** What the send procedure hands back. */
export interface ThreadSendOutput {
  results: ThreadSendResult[];
  created: Message[];
}

const noFiles: MediaLookup = async () => new Map();

/** Procedures of the SQLite thread (db/sqlite-thread.ts) for messages. */
export const procedures = {
  /** One chunk of the background full-text indexing (messages/search-index.ts). */
  indexText: ({ trx }: ThreadContext, chunk: number) => messagesStore(trx, 'sqlite').indexPendingText(chunk),

  /**
   * Commits the plain sends of a batch (the hot path) in one transaction on the SQLite thread.
   * Files, notes and customer conversations are left to the event loop's path, where the media
   * and inbox services take part in the transaction.
   */
  async send({ trx, sqlite }: ThreadContext, items: SendItem[]): Promise<ThreadSendOutput> {
    const store = sqliteSendStore(sqlite);
    const ids = [...new Set(items.map((i) => i.conversationId))];
    const customer = new Set((await store.lastSeqs(ids)).flatMap((c) => (c.kind === 'customer' ? [c.id] : [])));
    const slots: number[] = [];
    const plain = items.filter((item, i) => {
      const own = !item.mediaId && !item.note && !customer.has(item.conversationId);
      if (own) slots.push(i);
      return own;
    });
    const results: ThreadSendResult[] = items.map(() => null);
    if (plain.length === 0) return { results, created: [] };
    const done = await commitSends(store, { trx, items: plain, media: noFiles });
    done.results.forEach((r, k) => {
      results[slots[k] as number] = r.ok ? r : { ok: false, code: r.error.code, message: r.error.message };
    });
    return { results, created: done.created };
  },
};
