import { mkdirSync, rmSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { startCheckpointer } from './checkpointer.js';
import * as init from './migrations/0001-init.js';
import * as ftsInBackground from './migrations/0002-fts-in-background.js';
import * as media from './migrations/0003-media.js';
import * as chatPrefs from './migrations/0004-chat-prefs.js';
import * as inbox from './migrations/0005-inbox.js';
import * as contactMerge from './migrations/0006-contact-merge.js';
import * as inboxIndexes from './migrations/0007-inbox-indexes.js';
import * as searchDatabase from './migrations/0008-search-database.js';
import * as messageCreationOrder from './migrations/0009-message-creation-order.js';
import type { DB } from './schema.js';
import { withStatementCache } from './sqlite-connection.js';
import { SqliteThread, sqliteThreadDialect } from './sqlite-thread.js';

/** The two supported databases. */
export type Dialect = 'sqlite' | 'postgres';

/** An open database: the Kysely handle every store uses, plus what only operations need. */
export interface Database {
  db: Kysely<DB>;
  /**
   * For point reads on the path of every new connection (a session by its token, the change
   * clock's head): on SQLite with a file, a read connection on the event loop, so such a read
   * costs ~20 µs instead of a round trip to the SQLite thread (and waiting behind whatever it
   * runs). It sees what is committed, like any other connection. Elsewhere `db` itself.
   */
  reads: Kysely<DB>;
  dialect: Dialect;
  /** The raw SQLite handle (for online backup); null on PostgreSQL. */
  sqlite: SQLite.Database | null;
  /** The thread that runs SQLite's queries and procedures; null on PostgreSQL and in memory. */
  thread: SqliteThread | null;
  /** SQLite's files: the database and its full-text index (messages/search-index.ts). */
  files: { main: string; search: string } | null;
  /** Makes every commit so far durable; absent where a commit is durable by itself. */
  sync?: () => Promise<void>;
  /** SQLite's WAL (file databases): its size at the last background pass, and its rewinds. */
  walStats?: () => { pages: number; rewinds: number };
  close(): Promise<void>;
}

/** Where the data lives: a SQLite file path or a PostgreSQL URL. */
export type DatabaseTarget = { sqlitePath: string } | { postgresUrl: string };

/**
 * Schema of SQLite's search database (schema name `search`): the messages' full-text index,
 * contentless (no second copy of the text), and the indexer's watermarks
 * (messages/search-index.ts). It can always be rebuilt from `messages`.
 */
const SEARCH_SCHEMA = `
  create virtual table if not exists search.messages_fts using fts5(
    text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
  create table if not exists search.search_state (name text primary key, value any);
`;

/**
 * Creates the search database's schema. A file that is not a readable SQLite database (a
 * damaged disk, a stray file) is replaced: the index is rebuilt from `messages`, so it must
 * never stop the server from starting.
 */
function prepareSearchFile(sqlite: SQLite.Database, file: string): void {
  const create = () => {
    sqlite.prepare('attach database ? as search').run(file);
    try {
      sqlite.pragma('search.journal_mode = WAL');
      sqlite.exec(SEARCH_SCHEMA);
    } finally {
      sqlite.exec('detach database search');
    }
  };
  try {
    create();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') throw err;
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    create();
  }
}

// node-pg returns int8 as strings to be safe beyond 2^53; our ids and times stay far below it.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** Opens the database and brings its schema to the latest migration. */
export async function openDatabase(
  target: DatabaseTarget,
  { procedures = [], wal = {} }: { procedures?: readonly URL[]; wal?: WalOptions } = {},
): Promise<Database> {
  const database =
    'postgresUrl' in target ? openPostgres(target.postgresUrl) : openSqlite(target.sqlitePath, procedures, wal);
  await migrate(database);
  return database;
}

/** How SQLite's WAL is kept short; the defaults are the production values, tests shrink them. */
export interface WalOptions {
  /** Past this many pages the WAL is rewound, right after a background pass. */
  rewindPages?: number;
  /** How often the background checkpointer runs. */
  checkpointMs?: number;
  /** Where SQLite's own checkpoint inside a COMMIT takes over (a dead checkpointer). */
  backstopPages?: number;
}

/** `procedures`: modules whose `procedures` the SQLite thread can run (db/sqlite-thread.ts). */
function openSqlite(path: string, procedures: readonly URL[], walOptions: WalOptions): Database {
  if (path === ':memory:') {
    // A worker thread cannot share an in-memory database: this one stays on the event loop.
    const sqlite = new SQLite(path);
    sqlite.pragma('foreign_keys = ON');
    sqlite.exec(`attach database ':memory:' as search; ${SEARCH_SCHEMA}`);
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, reads: db, dialect: 'sqlite', sqlite, thread: null, files: null, close: () => db.destroy() };
  }
  mkdirSync(dirname(path), { recursive: true });
  // This handle serves raw access (online backup, the benchmarks' bulk seed) and `reads`; every
  // other query of the server runs on the SQLite thread's connection (db/sqlite-thread.ts). It
  // also puts a new file into WAL mode before the thread opens it.
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  // Not destroyed on close: Kysely would close the handle that close() closes below.
  const reads = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  // The full-text index: a file of its own, attached where messages are searched or indexed.
  const search = `${path.replace(/\.db$/, '')}-search.db`;
  prepareSearchFile(sqlite, search);
  // Checkpoints happen in a worker (db/checkpointer.ts). Under a steady stream of commits its
  // passes never copy the last commit (another one lands during each pass), so SQLite never
  // rewinds the WAL by itself. Its fallback, the writer's own checkpoint inside a COMMIT every N
  // pages, copied up to a second of frames and fsynced the database file there: 20–36 ms in
  // which every send waited, every ~3.4 s at 5,000 msg/s, half of p99 (docs/benchmarks.md,
  // 2026-12-06, evening). So right after a pass that leaves the WAL over `rewindPages`, one more
  // checkpoint runs on the writer's connection, between two batches (a statement waits until no
  // procedure runs, and batches wait for it): it copies only what was committed during the pass,
  // and the writer's next transaction starts the WAL over. SQLite's own checkpoint stays as a
  // backstop far above, should the worker die.
  const rewindPages = walOptions.rewindPages ?? 65_536;
  const thread = new SqliteThread(path, {
    autocheckpoint: walOptions.backstopPages ?? rewindPages * 4,
    procedures,
    attach: { search },
  });
  const db = new Kysely<DB>({ dialect: sqliteThreadDialect(thread) });
  let wal: FileHandle | null = null;
  // The thread's connection commits with synchronous=NORMAL: COMMIT writes the WAL without
  // fsync, and the writer calls sync() (fdatasync of the WAL on the libuv pool) before it
  // acknowledges anything. Same durability as FULL, and the next batch runs meanwhile.
  const sync = async () => {
    // The WAL keeps its inode while a connection is open (SQLite rewinds, never replaces it).
    wal ??= await open(`${path}-wal`, 'r');
    await wal.datasync();
  };
  const walStats = { pages: 0, rewinds: 0 };
  const checkpointer = startCheckpointer(path, {
    ...(walOptions.checkpointMs ? { intervalMs: walOptions.checkpointMs } : {}),
    // The next background pass waits for this checkpoint, so the two never collide.
    onPass: async (pass) => {
      walStats.pages = pass.log;
      if (pass.log < rewindPages) return;
      // Only a checkpoint that copied every frame lets the next transaction start the WAL over.
      // One that could not (a reader still on old frames, the thread restarting) only means the
      // WAL grows until the next pass tries again.
      // `main.` only: without a schema the pragma also checkpointed the search database, whose
      // fsyncs (~7 ms) then stalled every send; its own writer (the indexer) checkpoints it.
      try {
        const { rows } = await sql<{
          busy: number;
          log: number;
          checkpointed: number;
        }>`pragma main.wal_checkpoint(PASSIVE)`.execute(db);
        const done = rows[0];
        if (done && done.busy === 0 && done.checkpointed === done.log) walStats.rewinds++;
      } catch {
        // As above: the next pass tries again.
      }
    },
  });
  return {
    db,
    reads,
    dialect: 'sqlite',
    sqlite,
    thread,
    files: { main: path, search },
    sync,
    walStats: () => ({ ...walStats }),
    close: async () => {
      await checkpointer.stop();
      await wal?.close();
      await db.destroy();
      sqlite.close();
    },
  };
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, reads: db, dialect: 'postgres', sqlite: null, thread: null, files: null, close: () => db.destroy() };
}

const MIGRATIONS: Record<string, { up: (db: Kysely<unknown>, dialect: Dialect) => Promise<void> }> = {
  '0001-init': init,
  '0002-fts-in-background': ftsInBackground,
  '0003-media': media,
  '0004-chat-prefs': chatPrefs,
  '0005-inbox': inbox,
  '0006-contact-merge': contactMerge,
  '0007-inbox-indexes': inboxIndexes,
  '0008-search-database': searchDatabase,
  '0009-message-creation-order': messageCreationOrder,
};

async function migrate(database: Database): Promise<void> {
  const migrations: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(MIGRATIONS)) {
    migrations[name] = { up: (db) => m.up(db, database.dialect) };
  }
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations },
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw new Error('database migration failed', { cause: error });
}
