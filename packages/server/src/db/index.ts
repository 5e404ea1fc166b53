import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { startCheckpointer } from './checkpointer.js';
import * as init from './migrations/0001-init.js';
import * as ftsInBackground from './migrations/0002-fts-in-background.js';
import * as media from './migrations/0003-media.js';
import * as chatPrefs from './migrations/0004-chat-prefs.js';
import * as inbox from './migrations/0005-inbox.js';
import * as contactMerge from './migrations/0006-contact-merge.js';
import * as inboxIndexes from './migrations/0007-inbox-indexes.js';
import type { DB } from './schema.js';

/** The two supported databases. */
export type Dialect = 'sqlite' | 'postgres';

/** An open database: the Kysely handle every store uses, plus what only operations need. */
export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  /** The raw SQLite handle (for online backup); null on PostgreSQL. */
  sqlite: SQLite.Database | null;
  /** Makes every commit so far durable; absent where a commit is durable by itself. */
  sync?: () => Promise<void>;
  close(): Promise<void>;
}

/** Where the data lives: a SQLite file path or a PostgreSQL URL. */
export type DatabaseTarget = { sqlitePath: string } | { postgresUrl: string };

// node-pg returns int8 as strings to be safe beyond 2^53; our ids and times stay far below it.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** Opens the database and brings its schema to the latest migration. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  const database = 'postgresUrl' in target ? openPostgres(target.postgresUrl) : openSqlite(target.sqlitePath);
  await migrate(database);
  return database;
}

function openSqlite(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL: COMMIT writes the WAL without fsync, and the writer calls sync() (fdatasync of the
  // WAL on the libuv pool) before it acknowledges anything. Same durability as FULL, but the
  // event loop is not blocked for the fsync and the next batch runs meanwhile.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  if (path === ':memory:') return { db, dialect: 'sqlite', sqlite, close: () => db.destroy() };
  let wal: FileHandle | null = null;
  const sync = async () => {
    // The WAL keeps its inode while this connection is open (SQLite rewinds, never replaces it).
    wal ??= await open(`${path}-wal`, 'r');
    await wal.datasync();
  };
  // Checkpoints happen in a worker (db/checkpointer.ts); the writer only checkpoints itself as a
  // safety net when the WAL grows past ~64 MiB.
  sqlite.pragma('wal_autocheckpoint = 16000');
  const checkpointer = startCheckpointer(path);
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    sync,
    close: async () => {
      await checkpointer.stop();
      await wal?.close();
      await db.destroy();
    },
  };
}

// Kysely prepares every query anew; better-sqlite3 statements are reusable, so keep the most
// recent ones by SQL text. Safe because Kysely runs one statement at a time per connection.
const STATEMENT_CACHE = 256;

function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (source: string) => {
        let stmt = cache.get(source);
        if (stmt) {
          // Re-insert to keep the map in least-recently-used order.
          cache.delete(source);
        } else {
          stmt = target.prepare(source);
          if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
        }
        cache.set(source, stmt);
        return stmt;
      };
    },
  });
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', sqlite: null, close: () => db.destroy() };
}

const MIGRATIONS: Record<string, { up: (db: Kysely<unknown>, dialect: Dialect) => Promise<void> }> = {
  '0001-init': init,
  '0002-fts-in-background': ftsInBackground,
  '0003-media': media,
  '0004-chat-prefs': chatPrefs,
  '0005-inbox': inbox,
  '0006-contact-merge': contactMerge,
  '0007-inbox-indexes': inboxIndexes,
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
