import { type Change, LIMITS, type ServerFrameOf } from '@kurier/protocol';
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { presentConversation, presentMember, presentPrefs } from '../conversations/present.js';
import { currentChangeId } from '../db/change-clock.js';
import type { DB } from '../db/schema.js';
import type { SqliteThread } from '../db/sqlite-thread.js';
import type { Foreground } from '../kernel/foreground.js';
import { isContactId } from '../kernel/ids.js';
import type { MessagesService } from '../messages/service.js';
import { type PageSource, type StreamRow, storeSource } from './store.js';
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
  mems: StreamRow<'members'>[];
  convs: StreamRow<'conversations'>[];
  prefs: StreamRow<'prefs'>[];
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

/** One change of a page, with its change id; `item` is the change or its JSON. */
interface Entry<T> {
  id: number;
  item: T;
}

/** The changes of a page that are not messages, in change-id order. */
function otherChanges({ mems, convs, prefs }: Streams<unknown>): Entry<Change>[] {
  return [
    ...mems.map((m) => ({ id: m.change_id, item: { kind: 'member' as const, member: presentMember(m) } })),
    ...convs.map((c) => ({
      id: c.change_id,
      item: { kind: 'conversation' as const, conversation: presentConversation(c) },
    })),
    ...prefs.map((p) => ({
      id: p.change_id,
      item: { kind: 'prefs' as const, prefs: presentPrefs(p.conversation_id, p) },
    })),
  ].sort((a, b) => a.id - b.id);
}

/**
 * The messages (in change-id order) with the other changes (few, usually none) merged in. Not a
 * sort of the page: a reconnecting client meets this code cold, where a comparator called
 * thousands of times in the interpreter cost milliseconds.
 */
function inChangeOrder<T>(messages: readonly Entry<T>[], others: readonly Entry<T>[]): Entry<T>[] {
  const out: Entry<T>[] = [];
  let o = 0;
  for (const m of messages) {
    for (; o < others.length && (others[o] as Entry<T>).id < m.id; o++) out.push(others[o] as Entry<T>);
    out.push(m);
  }
  for (; o < others.length; o++) out.push(others[o] as Entry<T>);
  return out;
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
  // Presenting keeps the rows' order.
  const messages = (await present(streams.msgs)).map((message) => ({
    id: message.changeId,
    item: { kind: 'message' as const, message } as Change,
  }));
  const entries = inChangeOrder(messages, otherChanges(streams));
  return {
    changes: entries.map((e) => e.item),
    cursor: cursorOf(streams.bound, query.after, entries.at(-1)?.id),
    done: streams.bound === Number.POSITIVE_INFINITY,
  };
}

/** A catch-up page as the `changes` frame a connection sends, already serialized. */
export interface CatchUpFrame {
  /**
   * The frame's UTF-8 bytes, as they go on the wire. From the SQLite thread they cross without a
   * copy (a string is copied out and in again, and ws encodes it on the event loop), 270 KB a page.
   */
  data: Uint8Array;
  cursor: number;
  done: boolean;
  /** Messages whose JSON the thread had kept from their send (messages/recent-json.ts). */
  fromMemory: number;
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
  return { data: Buffer.from(JSON.stringify(frame)), cursor: page.cursor, done: page.done, fromMemory: 0 };
}

/**
 * SQLite (on its thread): the frame of one page read with fixed statements, every message
 * serialized by SQLite itself, the frame built around those strings. The same bytes as
 * `catchUpFrame(readPage(…))`, which `JSON.stringify`s objects (test S6).
 */
export async function readFrameSqlite(
  sqlite: Pick<SQLite.Database, 'prepare'>,
  query: PageQuery,
): Promise<CatchUpFrame> {
  const source = sqliteCatchUpSource(sqlite, { ...query, customer: isContactId(query.userId) });
  const streams = await readStreams(source, query.limit);
  const entries = inChangeOrder(
    streams.msgs.map((m) => ({ id: m.change_id, item: `{"kind":"message","message":${m.json}}` })),
    otherChanges(streams).map((e) => ({ id: e.id, item: JSON.stringify(e.item) })),
  );
  const cursor = cursorOf(streams.bound, query.after, entries.at(-1)?.id);
  const done = streams.bound === Number.POSITIVE_INFINITY;
  const changes = entries.map((e) => e.item).join(',');
  return {
    data: Buffer.from(`{"type":"changes","changes":[${changes}],"cursor":${cursor},"live":false,"done":${done}}`),
    cursor,
    done,
    fromMemory: streams.msgs.reduce((n, m) => (m.kept ? n + 1 : n), 0),
  };
}

/**
 * A page of a catch-up chain on the SQLite thread: `after` is the cursor, or null for "where the
 * page asked for just before, in the same chain, ended" (sync/thread-procedures.ts).
 */
export interface ChainedPageQuery extends Omit<PageQuery, 'after'> {
  after: number | null;
  chain: number;
}

/**
 * What the thread answers for a chained page: the frame; `ended` when the page before it was
 * the last; `lost` when the thread no longer knows where the page before it ended.
 */
export type ChainedPage = CatchUpFrame | 'ended' | 'lost';

/**
 * The pages of one catch-up, in order; `next` is called again only until a page is done. `end`
 * says the catch-up is over (also when its connection went away before the last page).
 */
export interface CatchUpPages {
  next(): Promise<CatchUpFrame>;
  end(): void;
}

/** Keeps a read from counting as unhandled (which ends the process) until it is awaited. */
function early<T>(read: Promise<T>): Promise<T> {
  read.catch(() => {});
  return read;
}

let chains = 0;

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
  foreground,
}: {
  db: Kysely<DB>;
  /** Where the head is read on every hello (db/index.ts `reads`). */
  reads?: Kysely<DB>;
  messages: MessagesService;
  /** SQLite's thread: catch-up pages are read, presented and serialized there in one procedure. */
  thread?: SqliteThread | null;
  /** Observes each catch-up page read (for /metrics). */
  onPage?: (page: CatchUpFrame) => void;
  /** Told of every catch-up while it lasts: background work yields to them (kernel/foreground.ts). */
  foreground?: Foreground;
}) {
  const frame = async (query: PageQuery): Promise<CatchUpFrame> => {
    const read = thread
      ? (await thread.run<CatchUpFrame>('catchUpFrame', query, { pipelined: true })).output
      : catchUpFrame(await readPage(db, messages.present, query));
    onPage(read);
    return read;
  };

  /** Each page is read while the one before it goes out. */
  const readAhead = ({ userId, after, limit }: PageQuery): Omit<CatchUpPages, 'end'> => {
    let next = early(frame({ userId, after, limit }));
    return {
      async next() {
        const page = await next;
        if (!page.done) next = early(frame({ userId, after: page.cursor, limit }));
        return page;
      },
    };
  };

  /**
   * On the thread the next page is asked for before this one has come back: the thread goes
   * from one page to the next without waiting for the event loop to read the first and ask
   * again (about a millisecond a page: docs/benchmarks.md, 2026-12-06 afternoon).
   */
  const chained = (on: SqliteThread, { userId, after, limit }: PageQuery): Omit<CatchUpPages, 'end'> => {
    const chain = ++chains;
    const ask = (from: number | null) =>
      early(
        on
          .run<ChainedPage>('catchUpChained', { userId, after: from, limit, chain }, { pipelined: true })
          .then((r) => r.output),
      );
    let position = after;
    let queue: Promise<ChainedPage>[] = [];
    return {
      async next() {
        for (;;) {
          // The page after the one awaited is asked for now, so it queues behind it on the thread.
          if (queue.length === 0) queue.push(ask(position));
          queue.push(ask(null));
          const page = await (queue.shift() as Promise<ChainedPage>);
          if (page === 'ended') throw new Error('a catch-up was asked for a page after its last');
          if (page === 'lost') {
            // Start over from the last cursor; what was asked for behind it is lost too.
            queue = [];
            continue;
          }
          onPage(page);
          position = page.cursor;
          return page;
        }
      },
    };
  };

  return {
    head: () => currentChangeId(reads),

    /** Changes after `after`, one page. */
    page: (userId: string, after: number, limit: number = LIMITS.syncPage): Promise<SyncPage> =>
      readPage(db, messages.present, { userId, after, limit }),

    /**
     * One catch-up frame. On SQLite one message to the thread and one back: its queries, the
     * presenting and the JSON all happen there, and the event loop only writes the text.
     */
    catchUpFrame: (userId: string, after: number, limit: number = LIMITS.syncPage): Promise<CatchUpFrame> =>
      frame({ userId, after, limit }),

    /** The frames of a catch-up from `after` (offline delivery and reconnect storms are made of these). */
    catchUp(userId: string, after: number, limit: number = LIMITS.syncPage): CatchUpPages {
      const query = { userId, after, limit };
      const pages = thread ? chained(thread, query) : readAhead(query);
      foreground?.enter();
      let ended = false;
      return {
        ...pages,
        end() {
          if (!ended) foreground?.leave();
          ended = true;
        },
      };
    },
  };
}

/** The sync service contract. */
export type SyncService = ReturnType<typeof syncService>;
