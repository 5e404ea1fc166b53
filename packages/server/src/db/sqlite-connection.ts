import { closeSync, fdatasyncSync, openSync } from 'node:fs';
import SQLite from 'better-sqlite3';

// No Kysely here: the search indexer's thread opens a connection too, and Kysely's modules
// took two thirds of that thread's startup (~0.45 of 0.65 s, under tsx), which competed with
// the first requests of a server just started. Procedures and their Kysely are in
// db/sqlite-procedures.ts, for the SQLite thread alone.

// Kysely prepares every query anew; better-sqlite3 statements are reusable, so keep the most
// recently used by SQL text (a Map iterates in insertion order: the first key is the oldest).
const STATEMENT_CACHE = 256;

/** The handle with `prepare` answered from a cache of the statements most recently used. */
export function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string): SQLite.Statement => {
    let stmt = cache.get(source);
    if (stmt) cache.delete(source);
    else {
      stmt = sqlite.prepare(source);
      if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
    }
    cache.set(source, stmt);
    return stmt;
  };
  return new Proxy(sqlite, {
    get(target, prop) {
      if (prop === 'prepare') return prepare;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A SQLite connection as the server's writers use it: WAL, commits written without fsync
 * (`synchronous = NORMAL`: whoever commits makes it durable before anything is acknowledged),
 * foreign keys on, a statement cache. The search indexer's thread holds one
 * (messages/search-worker.ts), the SQLite thread one with procedures (db/sqlite-procedures.ts).
 */
export class SqliteConnection {
  readonly sqlite: SQLite.Database;
  /** The handle with `prepare` answered from the cache. */
  readonly cached: SQLite.Database;
  readonly #path: string;
  /** The WAL keeps its inode while a connection is open (SQLite rewinds it, never replaces it). */
  #wal: number | null = null;

  constructor(
    path: string,
    { autocheckpoint, attach = {} }: { autocheckpoint: number; attach?: Readonly<Record<string, string>> },
  ) {
    this.#path = path;
    const sqlite = new SQLite(path);
    // First: a connection opened while another one writes may find the database busy for a moment.
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    for (const [name, file] of Object.entries(attach)) {
      sqlite.prepare(`attach database ? as ${name}`).run(file);
      sqlite.pragma(`${name}.journal_mode = WAL`);
      sqlite.pragma(`${name}.synchronous = NORMAL`);
    }
    this.sqlite = sqlite;
    this.cached = withStatementCache(sqlite);
  }

  /** A prepared statement for `source`, from the cache when it was prepared before. */
  prepare(source: string): SQLite.Statement {
    return this.cached.prepare(source);
  }

  /**
   * fdatasync of the WAL: it covers every commit so far, of any connection. Seconds it took, or
   * null when it failed: then the writer syncs on its own and reports the error (kernel/writer.ts).
   */
  syncWal(): number | null {
    const started = performance.now();
    try {
      this.#wal ??= openSync(`${this.#path}-wal`, 'r');
      fdatasyncSync(this.#wal);
    } catch {
      return null;
    }
    return (performance.now() - started) / 1000;
  }

  async close(): Promise<void> {
    this.closeWal();
    this.sqlite.close();
  }

  /** Descriptors belong to the process, not a thread: ending the thread would not close it. */
  protected closeWal(): void {
    if (this.#wal !== null) closeSync(this.#wal);
    this.#wal = null;
  }
}
