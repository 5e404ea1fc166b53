import { type Change, LIMITS } from '@kurier/protocol';
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { presentConversation, presentMember, presentPrefs } from '../conversations/present.js';
import { currentChangeId } from '../db/change-clock.js';
import type { DB } from '../db/schema.js';
import type { SqliteThread } from '../db/sqlite-thread.js';
import { isContactId } from '../kernel/ids.js';
import type { MessagesService } from '../messages/service.js';
import { type PageSource, type SyncStore, storeSource } from './store.js';
import { sqliteCatchUpSource } from './store-sqlite.js';

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

/** The four streams of a page, cut where the page ends. */
interface Streams<TMessage> {
  msgs: TMessage[];
  mems: Awaited<ReturnType<SyncStore['members']>>;
  convs: Awaited<ReturnType<SyncStore['conversations']>>;
  prefs: Awaited<ReturnType<SyncStore['prefs']>>;
  /** The page's last change id when a stream has more than a page left; else the page is the rest. */
  bound: number;
}

/**
 * Reads the four streams and cuts them at the page's end. When a stream has more than a page,
 * the page ends at that stream's last id so nothing from the other streams below it is skipped.
 * Each is read with one row more than a page: a stream that has exactly a page left ends this
 * page as done, instead of costing the client another round trip for an empty one.
 */
async function readStreams<TMessage extends { change_id: number }>(
  source: PageSource<TMessage>,
  limit: number,
): Promise<Streams<TMessage>> {
  const [msgs, mems, convs, prefs] = await Promise.all([
    source.messages(limit + 1),
    source.members(limit + 1),
    source.conversations(limit + 1),
    source.prefs(limit + 1),
  ]);
  let bound = Number.POSITIVE_INFINITY;
  for (const rows of [msgs, mems, convs, prefs]) {
    const last = rows[limit - 1];
    if (rows.length > limit && last) bound = Math.min(bound, last.change_id);
  }
  // Each stream is in change-id order: what lies above the bound is at its end.
  const below = <T extends { change_id: number }>(rows: T[]) => {
    let n = rows.length;
    while (n > 0 && (rows[n - 1] as T).change_id > bound) n--;
    return n === rows.length ? rows : rows.slice(0, n);
  };
  return { msgs: below(msgs), mems: below(mems), convs: below(convs), prefs: below(prefs), bound };
}

/** The changes of a page that are not messages, with their change ids. */
function otherChanges({ mems, convs, prefs }: Streams<unknown>): { id: number; change: Change }[] {
  return [
    ...mems.map((m) => ({ id: m.change_id, change: { kind: 'member' as const, member: presentMember(m) } })),
    ...convs.map((c) => ({
      id: c.change_id,
      change: { kind: 'conversation' as const, conversation: presentConversation(c) },
    })),
    ...prefs.map((p) => ({
      id: p.change_id,
      change: { kind: 'prefs' as const, prefs: presentPrefs(p.conversation_id, p) },
    })),
  ];
}

/** Where a page leaves the cursor: at its bound, or when it is the rest, at its last change. */
const cursorOf = (bound: number, after: number, lastId: number | undefined) =>
  bound === Number.POSITIVE_INFINITY ? Math.max(after, lastId ?? after) : bound;

/** One page of a user's changes after `after`, read through `db`, as objects. */
export async function readPage(
  db: Kysely<DB>,
  present: MessagesService['present'],
  query: PageQuery,
): Promise<SyncPage> {
  const streams = await readStreams(storeSource(db, query), query.limit);
  const presented = await present(streams.msgs);
  const entries = [
    ...presented.map((message) => ({ id: message.changeId, change: { kind: 'message' as const, message } })),
    ...otherChanges(streams),
  ].sort((a, b) => a.id - b.id);
  return {
    changes: entries.map((e) => e.change),
    cursor: cursorOf(streams.bound, query.after, entries.at(-1)?.id),
    done: streams.bound === Number.POSITIVE_INFINITY,
  };
}

/** A catch-up page as the `changes` frame a connection sends, already serialized. */
export interface CatchUpFrame {
  data: string;
  cursor: number;
  done: boolean;
}

/** The `changes` frame of a catch-up page (`live: false`), around changes already serialized. */
function changesFrame(changes: readonly string[], cursor: number, done: boolean): CatchUpFrame {
  const data = `{"type":"changes","changes":[${changes.join(',')}],"cursor":${cursor},"live":false,"done":${done}}`;
  return { data, cursor, done };
}

/** The frame of a page read as objects: what `JSON.stringify` of the frame gives. */
export function catchUpFrame(page: SyncPage): CatchUpFrame {
  return changesFrame(
    page.changes.map((c) => JSON.stringify(c)),
    page.cursor,
    page.done,
  );
}

/**
 * SQLite (on its thread): the frame of one page read with fixed statements, every message
 * serialized by SQLite itself. The same bytes as `catchUpFrame(readPage(…))` (test S6).
 */
export async function readFrameSqlite(
  sqlite: Pick<SQLite.Database, 'prepare'>,
  query: PageQuery,
): Promise<CatchUpFrame> {
  const source = sqliteCatchUpSource(sqlite, { ...query, customer: isContactId(query.userId) });
  const streams = await readStreams(source, query.limit);
  // Messages come in change-id order and the other streams are short (usually empty), so they
  // are merged in, not everything sorted: a reconnecting client meets this code cold, where a
  // comparator called thousands of times in the interpreter cost milliseconds.
  const others = otherChanges(streams).sort((a, b) => a.id - b.id);
  const parts: string[] = [];
  let next = 0;
  let last: number | undefined;
  const takeOthersBelow = (id: number) => {
    for (let o = others[next]; o && o.id < id; o = others[++next]) {
      parts.push(JSON.stringify(o.change));
      last = o.id;
    }
  };
  for (const m of streams.msgs) {
    takeOthersBelow(m.change_id);
    parts.push(`{"kind":"message","message":${m.json}}`);
    last = m.change_id;
  }
  takeOthersBelow(Number.POSITIVE_INFINITY);
  return changesFrame(parts, cursorOf(streams.bound, query.after, last), streams.bound === Number.POSITIVE_INFINITY);
}

/**
 * Sync: a user's changes after a cursor, in change-id order, in pages. Edits, deletes and
 * reactions rewrite a message's change id, so a page carries each object's latest state once.
 */
export function syncService({
  db,
  reads = db,
  messages,
  thread = null,
  onPage = () => {},
}: {
  db: Kysely<DB>;
  /** Where the head is read on every hello (db/index.ts `reads`). */
  reads?: Kysely<DB>;
  messages: MessagesService;
  /** SQLite's thread: catch-up pages are read, presented and serialized there in one procedure. */
  thread?: SqliteThread | null;
  /** Observes each catch-up page read (for /metrics). */
  onPage?: () => void;
}) {
  return {
    head: () => currentChangeId(reads),

    /** Changes after `after`, one page. */
    page: (userId: string, after: number, limit: number = LIMITS.syncPage): Promise<SyncPage> =>
      readPage(db, messages.present, { userId, after, limit }),

    /**
     * The next catch-up frame of a connection. On SQLite one message to the thread and one back:
     * its queries, the presenting and the JSON all happen there, and the event loop only writes
     * the text (offline delivery and reconnect storms are made of these).
     */
    async catchUpFrame(userId: string, after: number, limit: number = LIMITS.syncPage): Promise<CatchUpFrame> {
      const query = { userId, after, limit };
      onPage();
      if (thread) return (await thread.run<CatchUpFrame>('catchUpFrame', query, { pipelined: true })).output;
      return catchUpFrame(await readPage(db, messages.present, query));
    },
  };
}

/** The sync service contract. */
export type SyncService = ReturnType<typeof syncService>;
