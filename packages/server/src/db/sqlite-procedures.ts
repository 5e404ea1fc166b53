import type SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DB } from './schema.js';
import { SqliteConnection } from './sqlite-connection.js';

/** What a procedure works with: Kysely and the raw handle, both inside its transaction. */
export interface ProcedureContext {
  trx: Kysely<DB>;
  /** The connection itself, with the statement cache (for fixed hot statements). */
  sqlite: Pick<SQLite.Database, 'prepare'>;
  /**
   * Runs `effect` once the transaction has committed, never after a rollback: what the thread
   * remembers of a transaction (caches) must not outlive it when it fails, since a rolled-back
   * transaction's ids are handed out again. An effect that throws changes nothing of the result.
   */
  afterCommit(effect: () => void): void;
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

/** The SQLite thread's connection (db/sqlite-worker.ts): procedures, with Kysely on the statement cache. */
export class ProcedureConnection extends SqliteConnection {
  readonly db: Kysely<DB>;

  constructor(path: string, options: ConstructorParameters<typeof SqliteConnection>[1]) {
    super(path, options);
    this.db = new Kysely<DB>({ dialect: new SqliteDialect({ database: this.cached }) });
  }

  /** Runs `procedure` in one transaction; with `sync`, fdatasyncs the WAL after the commit. */
  async run(procedure: Procedure, input: unknown, sync: boolean): Promise<ProcedureRun> {
    const effects: (() => void)[] = [];
    const afterCommit = (effect: () => void) => effects.push(effect);
    const output = await this.db
      .transaction()
      .execute((trx) => procedure({ trx, sqlite: this.cached, afterCommit }, input as never));
    // Committed is committed: an effect that fails (a cache it fills) must not make the caller
    // take the transaction for failed and refuse what is stored.
    for (const effect of effects) {
      try {
        effect();
      } catch {
        // The commit stands; the effect only loses what it would have remembered.
      }
    }
    return { output, synced: sync ? this.syncWal() : null };
  }

  override async close(): Promise<void> {
    this.closeWal();
    // Kysely's dialect closes the handle.
    await this.db.destroy();
  }
}
