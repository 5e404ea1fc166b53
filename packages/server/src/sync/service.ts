import { type Change, LIMITS, type ServerFrameOf } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import { presentConversation, presentMember, presentPrefs } from '../conversations/present.js';
import { currentChangeId } from '../db/change-clock.js';
import type { DB } from '../db/schema.js';
import type { SqliteThread } from '../db/sqlite-thread.js';
import type { MessagesService } from '../messages/service.js';
import { syncStore } from './store.js';

/** One page of a user's change stream. */
export interface SyncPage {
  changes: Change[];
  cursor: number;
  done: boolean;
}

/** Which page of whose change stream. */
export interface PageQuery {
  userId: string;
  after: number;
  limit: number;
}

/**
 * One page of a user's changes after `after`, read through `db` (inside a transaction on the
 * SQLite thread, or the server's pool). Four streams are merged; when a stream has more than a
 * page, the page ends at that stream's last id so nothing from the other streams below it is
 * skipped.
 */
export async function readPage(
  db: Kysely<DB>,
  present: MessagesService['present'],
  { userId, after, limit }: PageQuery,
): Promise<SyncPage> {
  const store = syncStore(db);
  // One row more than a page: a stream that has exactly a page left ends this page as done,
  // instead of costing the client another round trip for an empty one.
  const [msgs, mems, convs, prefs] = await Promise.all([
    store.messages(userId, after, limit + 1),
    store.members(userId, after, limit + 1),
    store.conversations(userId, after, limit + 1),
    store.prefs(userId, after, limit + 1),
  ]);
  let bound = Number.POSITIVE_INFINITY;
  for (const rows of [msgs, mems, convs, prefs]) {
    const last = rows[limit - 1];
    if (rows.length > limit && last) bound = Math.min(bound, last.change_id);
  }
  const presented = await present(msgs.filter((m) => m.change_id <= bound));
  const entries: { id: number; change: Change }[] = [
    ...presented.map((message) => ({ id: message.changeId, change: { kind: 'message' as const, message } })),
    ...mems
      .filter((m) => m.change_id <= bound)
      .map((m) => ({ id: m.change_id, change: { kind: 'member' as const, member: presentMember(m) } })),
    ...convs
      .filter((c) => c.change_id <= bound)
      .map((c) => ({
        id: c.change_id,
        change: { kind: 'conversation' as const, conversation: presentConversation(c) },
      })),
    ...prefs
      .filter((p) => p.change_id <= bound)
      .map((p) => ({
        id: p.change_id,
        change: { kind: 'prefs' as const, prefs: presentPrefs(p.conversation_id, p) },
      })),
  ].sort((a, b) => a.id - b.id);
  const done = bound === Number.POSITIVE_INFINITY;
  const cursor = done ? Math.max(after, entries.at(-1)?.id ?? after) : bound;
  return { changes: entries.map((e) => e.change), cursor, done };
}

/** A catch-up page as the `changes` frame a connection sends, already serialized. */
export interface CatchUpFrame {
  data: string;
  cursor: number;
  done: boolean;
}

/** The frame of a catch-up page (`live: false`). */
export function catchUpFrame(page: SyncPage): CatchUpFrame {
  const frame: ServerFrameOf<'changes'> = {
    type: 'changes',
    changes: page.changes,
    cursor: page.cursor,
    live: false,
    done: page.done,
  };
  return { data: JSON.stringify(frame), cursor: page.cursor, done: page.done };
}

/**
 * Sync: a user's changes after a cursor, in change-id order, in pages. Edits, deletes and
 * reactions rewrite a message's change id, so a page carries each object's latest state once.
 */
export function syncService({
  db,
  messages,
  thread = null,
}: {
  db: Kysely<DB>;
  messages: MessagesService;
  /** SQLite's thread: catch-up pages are read, presented and serialized there in one procedure. */
  thread?: SqliteThread | null;
}) {
  return {
    head: () => currentChangeId(db),

    /** Changes after `after`, one page. */
    page: (userId: string, after: number, limit: number = LIMITS.syncPage): Promise<SyncPage> =>
      readPage(db, messages.present, { userId, after, limit }),

    /**
     * The next catch-up frame of a connection. On SQLite one message to the thread and one back:
     * its queries, the presenting and the JSON all happen there, and the event loop only writes
     * the text (offline delivery and reconnect storms are made of these).
     */
    async catchUpFrame(userId: string, after: number, limit: number = LIMITS.syncPage): Promise<CatchUpFrame> {
      if (thread) return (await thread.run<CatchUpFrame>('catchUpFrame', { userId, after, limit })).output;
      return catchUpFrame(await readPage(db, messages.present, { userId, after, limit }));
    },
  };
}

/** The sync service contract. */
export type SyncService = ReturnType<typeof syncService>;
