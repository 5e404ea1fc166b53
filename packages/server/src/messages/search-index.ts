import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

// SQLite's full-text index of messages lives in a database file of its own (`search`, attached
// to every connection that searches) and is filled by a thread of its own
// (messages/search-worker.ts). Indexing writes only that file, so it never takes the main
// database's write lock: sends never queue behind it. FTS5 inserts cost 2–15 µs per message and
// its segment merges stall for 10–30 ms now and then (docs/benchmarks.md, 2026-12-03); in the
// writer's queue every send behind them waited that long. The index is contentless (it keeps
// no copy of the text) and can always be rebuilt from `messages`.

const CHUNK = 2_000;

type Handle = Pick<SQLite.Database, 'prepare' | 'transaction'>;

const state = (db: Handle, name: string) =>
  (db.prepare('select value from search.search_state where name = ?').get(name) as { value: unknown } | undefined)
    ?.value;
const setState = (db: Handle, name: string, value: unknown) =>
  db.prepare('insert or replace into search.search_state (name, value) values (?, ?)').run(name, value);
/** The id of the newest message at or below a key: what the watermark stands on. */
const idAt = (db: Handle, pk: number) =>
  (db.prepare('select id from messages where pk <= ? order by pk desc limit 1').get(pk) as { id: string } | undefined)
    ?.id;

/**
 * One indexing step in one transaction that reads `main` and writes only `search`: first the
 * text changes of indexed messages (edits, deletes: `search_edits`, filled by a trigger), then
 * up to CHUNK new messages. The watermarks commit with the index, so a crash repeats nothing
 * and skips nothing. `more` when messages are left for the next step.
 */
export function indexStep(db: Handle): { more: boolean } {
  return db.transaction(() => {
    const indexed = Number(state(db, 'messages') ?? 0);
    const editsDone = Number(state(db, 'edits') ?? 0);
    const edits = db
      .prepare('select id, pk from search_edits where id > ? order by id limit ?')
      .all(editsDone, CHUNK) as { id: number; pk: number }[];
    const remove = db.prepare('delete from search.messages_fts where rowid = ?');
    const reinsert = db.prepare(
      'insert into search.messages_fts (rowid, text) select pk, text from messages where pk = ? and text is not null',
    );
    // An edit of a message not indexed yet needs nothing: the step below reads its newest text.
    for (const pk of new Set(edits.flatMap((e) => (e.pk <= indexed ? [e.pk] : [])))) {
      remove.run(pk);
      reinsert.run(pk);
    }
    const last = edits.at(-1);
    if (last) setState(db, 'edits', last.id);
    const newest = Number((db.prepare('select coalesce(max(pk), 0) as pk from messages').get() as { pk: number }).pk);
    const upper = Math.min(newest, indexed + CHUNK);
    if (upper > indexed) {
      db.prepare(
        'insert into search.messages_fts (rowid, text) select pk, text from messages where pk > ? and pk <= ? and text is not null',
      ).run(indexed, upper);
      setState(db, 'messages', upper);
      // Which message the watermark stands on: a restored older database no longer has it.
      setState(db, 'marker', idAt(db, upper) ?? null);
    }
    return { more: upper < newest || edits.length === CHUNK };
  })();
}

/**
 * Starts over when the index does not belong to this database: after a restore from an older
 * backup, message keys above the backup would be reused by new messages while the index still
 * holds the lost ones' words.
 */
export function checkIndex(db: Handle): void {
  const marker = state(db, 'marker');
  if (marker === undefined) return;
  if (idAt(db, Number(state(db, 'messages') ?? 0)) === marker) return;
  db.transaction(() => {
    db.prepare("insert into search.messages_fts (messages_fts) values ('delete-all')").run();
    db.prepare('delete from search.search_state').run();
    // Edits made before now are covered by indexing every message afresh.
    setState(
      db,
      'edits',
      (db.prepare('select coalesce(max(id), 0) as id from search_edits').get() as { id: number }).id,
    );
  })();
}

/** Brings the index up to date with every commit made before the call. */
export type CatchUp = () => Promise<void>;

/**
 * The indexer thread for a SQLite file: catch-up requests and their answers over a port. It
 * starts with the first catch-up, so a command that never writes a message (`kurier owner
 * create`) never pays for it. A thread that dies takes what it was asked along (refused; search
 * reports the error) and the next catch-up starts a new one: catch-ups come at most every tick
 * or with a search, so a thread that cannot start is not retried in a tight loop.
 */
export function startSearchWorker(
  files: { main: string; search: string },
  /** The counter of `Foreground` work the indexer yields to between steps. */
  foreground?: Int32Array,
): {
  catchUp: CatchUp;
  close(): Promise<void>;
} {
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let next = 0;
  let closing = false;
  const spawn = (): Worker => {
    const worker = new Worker(new URL('./search-worker.mjs', import.meta.url), {
      workerData: { ...files, ...(foreground ? { foreground } : {}) },
    });
    worker.unref();
    worker.on('message', (m: { id: number; error?: string }) => {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error) w?.reject(new Error(m.error));
      else w?.resolve();
    });
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      refuseAll(err);
      if (current === worker) current = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the search indexer exited (${code})`)));
    return worker;
  };
  const refuseAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  let current: Worker | null = null;
  return {
    catchUp: () =>
      closing
        ? Promise.reject(new Error('the search indexer has stopped'))
        : new Promise((resolve, reject) => {
            const id = next++;
            waiting.set(id, { resolve, reject });
            current ??= spawn();
            current.postMessage({ id });
          }),
    async close() {
      closing = true;
      const worker = current;
      if (!worker) return;
      worker.ref();
      const exited = new Promise((resolve) => worker.once('exit', () => resolve(true)));
      worker.postMessage('close');
      // A shutdown never waits on the index for long: what the thread had not committed is
      // rolled back and indexed again by the next start.
      const timeout = new Promise((resolve) => setTimeout(() => resolve(false), 2000).unref());
      if (!(await Promise.race([exited, timeout]))) await worker.terminate();
      refuseAll(new Error('the search indexer has stopped'));
    },
  };
}

const DEFERRED_TICKS = 4;

/** The background indexer (SQLite), as the messages service drives it. */
export interface SearchIndexer {
  /** Notes that messages were committed; the next tick indexes them. */
  touch(): void;
  /** Resolves once every message committed before the call is searchable. */
  flush(): Promise<void>;
  /**
   * Catches up now, in the background: at a server's start, with what was committed while none
   * ran (a crash or an import leaves a backlog, which would otherwise wait for the next commit
   * or hold up the first search), and so the indexer's thread starts with the server.
   */
  start(): void;
  /** Stops the timer and the indexer's thread (without waiting for a long catch-up). */
  stop(): Promise<void>;
}

/**
 * Catches the index up at most once per interval after commits, and whenever a search asks. A
 * tick while `busy` says so (catch-ups under way: kernel/foreground.ts) waits for the next one,
 * but never more than `DEFERRED_TICKS` in a row, so a steady stream of reconnects cannot starve it.
 */
export function searchIndexer({
  catchUp,
  close = async () => {},
  intervalMs,
  busy = () => false,
  onError,
}: {
  catchUp: CatchUp;
  close?: () => Promise<void>;
  intervalMs: number;
  busy?: () => boolean;
  onError: (err: unknown) => void;
}): SearchIndexer {
  let dirty = false;
  let deferred = 0;
  let stopped = false;
  // Each flush chains behind the previous one, so its catch-up starts after the call and sees
  // every commit made before it.
  let tail: Promise<void> = Promise.resolve();
  const flush = () => {
    const next = tail.then(catchUp);
    tail = next.catch(() => {});
    return next;
  };
  const timer = setInterval(() => {
    if (!dirty) return;
    if (busy() && deferred < DEFERRED_TICKS) {
      deferred++;
      return;
    }
    deferred = 0;
    dirty = false;
    flush().catch(onError);
  }, intervalMs);
  timer.unref();
  return {
    touch: () => {
      dirty = true;
    },
    flush,
    start() {
      if (stopped) return;
      // A stop meanwhile refuses the catch-up; that is the stop's doing, not an indexing failure.
      flush().catch((err: unknown) => {
        if (!stopped) onError(err);
      });
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      // A catch-up under way ends after its current step; what waits for it is refused.
      await close();
      await tail;
    },
  };
}
