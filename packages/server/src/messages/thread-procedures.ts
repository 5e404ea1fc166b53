import type { ErrorCode, MediaRef, Member, Message } from '@kurier/protocol';
import type { ProcedureContext } from '../db/sqlite-procedures.js';
import { KurierError, type Result } from '../kernel/errors.js';
import { lookupMedia } from '../media/present.js';
import { withJson } from '../realtime/encode.js';
import {
  commitReceipts,
  commitSends,
  type MediaLookup,
  newMessageRow,
  type ReceiptItem,
  type SendItem,
} from './batches.js';
import { presentMessage } from './present.js';
import { recentJson } from './recent-json.js';
import { sqliteSendStore } from './send-store-sqlite.js';
import { messagesStore } from './store.js';

/** A Result as it crosses to the event loop: an error survives structured cloning as its code and message. */
export type ThreadResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

const toThread = <T>(r: Result<T>): ThreadResult<T> =>
  r.ok ? r : { ok: false, code: r.error.code, message: r.error.message };

/** The Result again, on the event loop's side. */
export const fromThread = <T>(r: ThreadResult<T>): Result<T> =>
  r.ok ? r : { ok: false, error: new KurierError(r.code, { message: r.message }) };

/**
 * What the send procedure hands back. A created message crosses as what the event loop cannot
 * know from its item (id, seq, change id, media), and the event loop presents it again with the
 * same code (`newMessageRow`): cloning whole messages across the port cost ~3.4 µs per message,
 * a third of it on the SQLite thread and two thirds on the event loop; now ~1.1 (docs/benchmarks.md).
 * A message to keep (`SendItem.keep`) brings its JSON along: the thread keeps it for catch-ups
 * (recent-json.ts), and the event loop's frames use it instead of serializing it again.
 */
export interface ThreadSendOutput {
  /** Per item: null (the item takes the event loop's path), a result, or which created message it got. */
  results: (ThreadResult<Message> | { created: number } | null)[];
  /** Per created message: its item's index, id, seq, change id, media, and its JSON if kept. */
  created: [item: number, id: string, seq: number, changeId: number, media: MediaRef | null, json: string | null][];
}

/** What the receipt procedure hands back. */
export interface ThreadReceiptOutput {
  results: ThreadResult<void>[];
  changed: Member[];
}

const media: MediaLookup = (ids, trx) => lookupMedia(trx, ids);

/** Procedures of the SQLite thread (db/sqlite-thread.ts) for messages. */
export const procedures = {
  /** A batch of receipt watermark moves (every client sends one per message it receives). */
  async receipt({ trx }: ProcedureContext, items: ReceiptItem[]): Promise<ThreadReceiptOutput> {
    const { results, changed } = await commitReceipts(messagesStore(trx, 'sqlite'), { trx, items });
    return { results: results.map(toThread), changed };
  },

  /**
   * Commits the sends of a batch (the hot path) in one transaction on the SQLite thread. Sends to
   * customer conversations are left to the event loop's path (null results), where the inbox
   * service takes part in the transaction. That is decided per conversation, so a conversation's
   * sends all take one path and keep their order.
   */
  async send({ trx, sqlite, afterCommit }: ProcedureContext, items: SendItem[]): Promise<ThreadSendOutput> {
    const store = sqliteSendStore(sqlite);
    const conversations = await store.lastSeqs([...new Set(items.map((i) => i.conversationId))]);
    const customer = new Set(conversations.flatMap((c) => (c.kind === 'customer' ? [c.id] : [])));
    const slots: number[] = [];
    const here = items.filter((item, i) => {
      const own = !customer.has(item.conversationId);
      if (own) slots.push(i);
      return own;
    });
    const results: ThreadSendOutput['results'] = items.map(() => null);
    if (here.length === 0) return { results, created: [] };
    // Nothing has written yet, so the conversations just read are what commitSends would read.
    const done = await commitSends({ ...store, lastSeqs: async () => conversations }, { trx, items: here, media });
    // A retry inside the batch gets its first occurrence's message: the same object, so the same
    // index. The first item with a created message is the one that created it.
    const index = new Map(done.created.map((m, j) => [m, j]));
    const from: number[] = [];
    done.results.forEach((r, k) => {
      const item = slots[k] as number;
      const j = r.ok ? index.get(r.value) : undefined;
      if (j !== undefined) from[j] ??= item;
      results[item] = j === undefined ? toThread(r) : { created: j };
    });
    const created: ThreadSendOutput['created'] = done.created.map((m, j) => {
      const item = from[j] as number;
      // A file's row may still change after the send (its thumbnail): messages with one are
      // built by SQLite at each catch-up.
      const json = (items[item] as SendItem).keep && !m.media ? JSON.stringify(m) : null;
      return [item, m.id, m.seq, m.changeId, m.media, json];
    });
    afterCommit(() => {
      for (const [, , , changeId, , json] of created) if (json !== null) recentJson.add(changeId, json);
    });
    return { results, created };
  },
};

/** The send procedure's answer as results and created messages, on the event loop. */
export function fromThreadSend(
  items: readonly SendItem[],
  output: ThreadSendOutput,
): { results: (Result<Message> | null)[]; created: Message[] } {
  const created = output.created.map(([i, id, seq, changeId, media, json]) => {
    const message = presentMessage(newMessageRow(items[i] as SendItem, { id, seq, changeId }), [], media);
    return json === null ? message : withJson(message, json);
  });
  const results = output.results.map((r) =>
    r === null ? null : 'created' in r ? { ok: true as const, value: created[r.created] as Message } : fromThread(r),
  );
  return { results, created };
}
