import { closeSync, fdatasyncSync, openSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DB } from './schema.js';

/** What a procedure works with: Kysely and the raw handle, both inside its transaction. */
export interface ProcedureContext {
  trx: Kysely<DB>;
  /** The connection itself, with the statement cache (for fixed hot statements). */
  sqlite: Pick<SQLite.Database, 'prepare'>;
}

/** A procedure: one transaction's work on a connection; see `SqliteThread.run`. */
export type Procedure = (context: ProcedureContext, input: never) => Promise<unknown>;

/** A procedure's output, and how long the fdatasync after its commit took. */
export interface ProcedureRun {
  output: unknown;
  /** Seconds of the fdatasync after the commit; null when none was asked for or it failed. */
  synced: number | null;
}

/** The procedures that modules export as `procedures`, by name. */
export async function loadProcedures(modules: readonly (string | URL)[]): Promise<Map<string, Procedure>> {
  const registry = new Map<string, Procedure>();
  for (const url of modules) {
    const mod = (await import(String(url))) as { procedures: Record<string, Procedure> };
    for (const [name, procedure] of Object.entries(mod.procedures)) registry.set(name, procedure);
  }
  return registry;
}

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
 * foreign keys on, a statement cache shared by Kysely and raw statements. The SQLite thread
 * holds one (db/sqlite-worker.ts), the search indexer's thread another
 * (messages/search-worker.ts).
 */
export class SqliteConnection {
  readonly sqlite: SQLite.Database;
  /** The handle with `prepare` answered from the cache. */
  readonly cached: SQLite.Database;
  readonly db: Kysely<DB>;
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
    this.db = new Kysely<DB>({ dialect: new SqliteDialect({ database: this.cached }) });
  }

  /** A prepared statement for `source`, from the cache when it was prepared before. */
  prepare(source: string): SQLite.Statement {
    return this.cached.prepare(source);
  }

  /** Runs `procedure` in one transaction; with `sync`, fdatasyncs the WAL after the commit. */
  async run(procedure: Procedure, input: unknown, sync: boolean): Promise<ProcedureRun> {
    const output = await this.db
      .transaction()
      .execute((trx) => procedure({ trx, sqlite: this.cached }, input as never));
    return { output, synced: sync ? this.syncWal() : null };
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
    // Descriptors belong to the process, not a thread: ending the thread would not close it.
    if (this.#wal !== null) closeSync(this.#wal);
    this.#wal = null;
    await this.db.destroy();
  }
}
