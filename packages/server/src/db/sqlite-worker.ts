import { closeSync, fdatasyncSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DB } from './schema.js';
import type { ThreadReply, ThreadRequest } from './sqlite-thread.js';

/** What a procedure works with: Kysely and the raw handle, both inside its transaction. */
export interface ThreadContext {
  trx: Kysely<DB>;
  /** The connection itself, with the statement cache (for fixed hot statements). */
  sqlite: Pick<SQLite.Database, 'prepare'>;
}

/** A procedure run on the SQLite thread inside one transaction; see `SqliteThread.run`. */
export type ThreadProcedure = (context: ThreadContext, input: never) => Promise<unknown>;

const {
  path,
  autocheckpoint,
  procedures: modules,
} = workerData as {
  path: string;
  autocheckpoint: number;
  procedures: string[];
};
const port = parentPort;
if (!port) throw new Error('the SQLite thread runs in a worker');

const sqlite = new SQLite(path);
sqlite.pragma('journal_mode = WAL');
// NORMAL: COMMIT writes the WAL without fsync; the writer makes commits durable before it
// acknowledges anything (db/index.ts).
sqlite.pragma('synchronous = NORMAL');
sqlite.pragma('foreign_keys = ON');
sqlite.pragma('busy_timeout = 5000');
sqlite.pragma(`wal_autocheckpoint = ${autocheckpoint}`);

// Kysely prepares every query anew; better-sqlite3 statements are reusable, so keep the most
// recently used by SQL text (a Map iterates in insertion order: the first key is the oldest).
const STATEMENT_CACHE = 256;
const cache = new Map<string, SQLite.Statement>();
function prepare(source: string): SQLite.Statement {
  let stmt = cache.get(source);
  if (stmt) cache.delete(source);
  else {
    stmt = sqlite.prepare(source);
    if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
  }
  cache.set(source, stmt);
  return stmt;
}

// Procedures use Kysely and the raw handle on the same connection, with the same statement cache.
const cached = new Proxy(sqlite, {
  get(target, prop) {
    if (prop === 'prepare') return prepare;
    const value = Reflect.get(target, prop, target) as unknown;
    return typeof value === 'function' ? value.bind(target) : value;
  },
});
const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: cached }) });
const registry = new Map<string, ThreadProcedure>();
for (const url of modules) {
  const mod = (await import(url)) as { procedures: Record<string, ThreadProcedure> };
  for (const [name, procedure] of Object.entries(mod.procedures)) registry.set(name, procedure);
}

port.postMessage('ready');

function statement(m: Extract<ThreadRequest, { sql: string }>): ThreadReply {
  if (m.begin) sqlite.exec('begin');
  const stmt = prepare(m.sql);
  if (stmt.reader) return { id: m.id, rows: stmt.all(m.params) };
  const r = stmt.run(m.params);
  return { id: m.id, changes: r.changes, insertId: r.lastInsertRowid };
}

async function procedure(m: Extract<ThreadRequest, { procedure: string }>): Promise<ThreadReply> {
  const run = registry.get(m.procedure);
  if (!run) throw new Error(`no procedure ${m.procedure}`);
  const output = await db.transaction().execute((trx) => run({ trx, sqlite: cached }, m.input as never));
  return { id: m.id, output, ...(m.sync ? { synced: syncWal() } : {}) };
}

// The WAL keeps its inode while this connection is open (SQLite rewinds it, never replaces it).
let wal: number | null = null;

/**
 * fdatasync of the WAL right after a commit: it covers this commit and every earlier one, and
 * saves the event loop handing the fsync to the libuv pool and hearing back (two thread wake-ups
 * per batch, which cost more than the fsync on a small virtual machine). Seconds it took, or
 * null when it failed: then the writer syncs on its own and reports the error (kernel/writer.ts).
 */
function syncWal(): number | null {
  const started = performance.now();
  try {
    wal ??= openSync(`${path}-wal`, 'r');
    fdatasyncSync(wal);
  } catch {
    return null;
  }
  return (performance.now() - started) / 1000;
}

const failure = (id: number, err: unknown): ThreadReply => {
  const e = err as { message?: string; code?: string; name?: string };
  return { id, error: { message: String(e?.message ?? err), code: e?.code, name: e?.name } };
};

// Requests are handled strictly one after another: a procedure's awaits only wait for
// Kysely's already-settled promises, but a statement must never run inside its transaction.
let chain = Promise.resolve();
port.on('message', (m: ThreadRequest | 'close') => {
  chain = chain.then(async () => {
    if (m === 'close') {
      // Descriptors belong to the process, not the thread: ending the thread would not close it.
      if (wal !== null) closeSync(wal);
      await db.destroy();
      process.exit(0);
    }
    try {
      port.postMessage('sql' in m ? statement(m) : await procedure(m));
    } catch (err) {
      // Also what cannot be cloned for the answer: the caller must hear back either way.
      port.postMessage(failure(m.id, err));
    }
  });
});
