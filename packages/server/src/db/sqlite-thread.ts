import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

// SQLite's own work (statement execution, B-tree updates, WAL writes) runs on this thread, with
// the connection every query of the server uses (db/sqlite-worker.ts). The event loop only
// compiles queries and exchanges small messages, so decoding frames and fanning events out never
// wait behind an insert, and the process uses a second core. Hot write paths run as whole
// procedures on the thread: one message per transaction instead of one per statement.
const WORKER_ENTRY = new URL('./sqlite-worker.mjs', import.meta.url);

/** What the thread answers: a statement's rows or changes, a procedure's output, or an error. */
export interface ThreadReply {
  id: number;
  rows?: unknown[];
  changes?: number;
  insertId?: number | bigint;
  output?: unknown;
  /** After a procedure asked to sync: seconds its fdatasync of the WAL took, null if it failed. */
  synced?: number | null;
  error?: { message: string; code?: string; name?: string };
}

/** What the thread is asked: one statement, or one procedure in its own transaction. */
export type ThreadRequest =
  | { id: number; sql: string; params: readonly unknown[]; begin: boolean }
  | { id: number; procedure: string; input: unknown; sync: boolean };

/** A procedure's output, and whether the thread made its commit durable (see `SqliteThread.run`). */
export interface ThreadRun<TOutput> {
  output: TOutput;
  /** Seconds the fdatasync after the commit took; null when none was asked for or it failed. */
  synced: number | null;
}

/** A SQLite error from the thread, with the driver's `code` (e.g. SQLITE_CONSTRAINT_UNIQUE). */
export class SqliteThreadError extends Error {
  readonly code: string | undefined;
  constructor(error: NonNullable<ThreadReply['error']>) {
    super(error.message);
    this.name = error.name ?? 'SqliteError';
    this.code = error.code;
  }
}

/** Options of the SQLite thread. */
export interface SqliteThreadOptions {
  /** WAL pages after which the thread's connection checkpoints itself (a safety net). */
  autocheckpoint: number;
  /** Modules whose `procedures` export the thread can run (see `SqliteThread.run`). */
  procedures: readonly URL[];
  /** Databases the connection attaches, by schema name (the search index: `search`). */
  attach?: Readonly<Record<string, string>>;
}

/**
 * The SQLite connection on its own thread. Like Kysely's own SQLite driver it is one connection,
 * so a transaction holds it until it ends; requests travel over a message port, in order.
 */
export class SqliteThread implements DatabaseConnection {
  readonly #path: string;
  readonly #options: SqliteThreadOptions;
  readonly #pending = new Map<number, { resolve: (r: ThreadReply) => void; reject: (e: unknown) => void }>();
  /** Who waits for the connection, in order: a transaction (exclusive) or a pipelined procedure. */
  readonly #waiting: { exclusive: boolean; go: () => void }[] = [];
  #worker: Worker;
  #held = false;
  /** Pipelined procedures sent and not yet answered (see `run`). */
  #shared = 0;
  #next = 0;
  #closing = false;
  /** Why the thread cannot start (set when it dies before it was ready): every request fails. */
  #broken: Error | null = null;
  /** Counts threads; a transaction must end on the thread it began on. */
  #generation = 0;
  #txGeneration: number | null = null;
  /** `begin` travels with the transaction's first statement: one message fewer per transaction. */
  #beginPending = false;
  #statements = 0;
  /** Called when the thread died and a new one took over (for the log). */
  onRestart: (err: Error) => void = () => {};

  constructor(path: string, options: SqliteThreadOptions) {
    this.#path = path;
    this.#options = options;
    this.#worker = this.#spawn();
  }

  #spawn(): Worker {
    this.#generation++;
    const worker = new Worker(WORKER_ENTRY, {
      workerData: {
        path: this.#path,
        autocheckpoint: this.#options.autocheckpoint,
        procedures: this.#options.procedures.map(String),
        attach: this.#options.attach ?? {},
      },
    });
    let ready = false;
    worker.on('message', (reply: ThreadReply | 'ready') => {
      if (reply === 'ready') {
        ready = true;
        return;
      }
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (!waiter) return;
      if (reply.error) waiter.reject(new SqliteThreadError(reply.error));
      else waiter.resolve(reply);
    });
    // A dead thread takes its open transaction with it (SQLite rolls it back), so what waits is
    // refused: nothing of it was acknowledged, and a retry with the same clientMsgId is safe. A
    // new thread serves what comes next, unless this one never got ready: then a new one would
    // fail the same way, so the error stays and every request gets it (the server does not start).
    let failed = false;
    const fail = (err: Error) => {
      if (failed || this.#closing) return;
      failed = true;
      for (const w of this.#pending.values()) w.reject(err);
      this.#pending.clear();
      this.#beginPending = false;
      if (!ready) {
        this.#broken = err;
        return;
      }
      this.#worker = this.#spawn();
      this.onRestart(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite thread exited (${code})`)));
    return worker;
  }

  /** Ends the thread at once, as a crash would (tests of what follows use it). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  /** Waits for the connection; a transaction keeps it until `release`. */
  async acquire(): Promise<void> {
    if (this.#held || this.#shared > 0 || this.#waiting.length > 0) {
      await new Promise<void>((go) => this.#waiting.push({ exclusive: true, go }));
    } else this.#held = true;
  }

  release(): void {
    this.#held = false;
    this.#admit();
  }

  /** Waits for a turn among pipelined procedures: no transaction holds the connection or waits for it. */
  async #acquireShared(): Promise<void> {
    if (this.#held || this.#waiting.length > 0) {
      await new Promise<void>((go) => this.#waiting.push({ exclusive: false, go }));
    } else this.#shared++;
  }

  #releaseShared(): void {
    this.#shared--;
    this.#admit();
  }

  /**
   * Lets the waiting in, in order: a transaction once nothing else runs, pipelined procedures as
   * long as no transaction runs. Whoever is let in counts as holding before the next can slip in.
   */
  #admit(): void {
    for (let next = this.#waiting[0]; next; next = this.#waiting[0]) {
      if (next.exclusive) {
        if (this.#held || this.#shared > 0) return;
        this.#held = true;
      } else {
        if (this.#held) return;
        this.#shared++;
      }
      this.#waiting.shift();
      next.go();
    }
  }

  /**
   * Runs a registered procedure on the thread in one transaction of its own (one message each
   * way). Its input and output must survive structured cloning. With `sync`, the thread
   * fdatasyncs the WAL after the commit, before it answers: the commit and every earlier one are
   * then durable. Queries wait meanwhile (the connection is busy), so only the writer's hot
   * batches ask for it. With `pipelined`, the procedure does not wait for the answer of another
   * pipelined one: it queues behind it on the thread, which runs them one after the other, so the
   * thread goes from one batch to the next without waiting for the event loop. A transaction or
   * a statement still waits until none is running, and pipelined procedures behind it wait for it.
   */
  async run<TOutput>(
    procedure: string,
    input: unknown,
    { sync = false, pipelined = false } = {},
  ): Promise<ThreadRun<TOutput>> {
    await (pipelined ? this.#acquireShared() : this.acquire());
    try {
      const reply = await this.#ask({ id: this.#next++, procedure, input, sync });
      return { output: reply.output as TOutput, synced: reply.synced ?? null };
    } finally {
      if (pipelined) this.#releaseShared();
      else this.release();
    }
  }

  begin(): void {
    this.#beginPending = true;
    this.#txGeneration = this.#generation;
  }

  /** True when the open transaction began on a thread that has died since (and took it along). */
  #lost(): boolean {
    return this.#txGeneration !== null && this.#txGeneration !== this.#generation;
  }

  /**
   * Ends the open transaction on the driver's side: `open` when the thread holds it (send the
   * commit or rollback), `unstarted` when it sent no statement, `lost` when its thread died.
   */
  endTransaction(): 'open' | 'unstarted' | 'lost' {
    const state = this.#lost() ? 'lost' : this.#beginPending ? 'unstarted' : 'open';
    this.#beginPending = false;
    this.#txGeneration = null;
    return state;
  }

  /** Single statements sent so far (each a round trip the event loop waits for; tests watch it). */
  get statements(): number {
    return this.#statements;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    this.#statements++;
    // Never let a transaction's later statements run on a new thread, outside any transaction.
    if (this.#lost()) throw new Error('the SQLite thread restarted during the transaction');
    const begin = this.#beginPending;
    this.#beginPending = false;
    const reply = await this.#ask({ id: this.#next++, sql: compiled.sql, params: compiled.parameters, begin });
    if (reply.changes === undefined) return { rows: (reply.rows ?? []) as R[] };
    return {
      rows: [],
      numAffectedRows: BigInt(reply.changes),
      ...(reply.insertId !== undefined ? { insertId: BigInt(reply.insertId) } : {}),
    };
  }

  // biome-ignore lint/correctness/useYield: nothing here streams; Kysely only asks for it on request.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on the SQLite thread');
  }

  #ask(request: ThreadRequest): Promise<ThreadReply> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      this.#worker.postMessage(request);
    });
  }

  /** Closes the connection (the last one to close checkpoints the WAL) and ends the thread. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#broken) return;
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.postMessage('close');
    await exited;
  }
}

class SqliteThreadDriver implements Driver {
  readonly #thread: SqliteThread;

  constructor(thread: SqliteThread) {
    this.#thread = thread;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#thread.acquire();
    return this.#thread;
  }

  async beginTransaction(): Promise<void> {
    this.#thread.begin();
  }

  async commitTransaction(): Promise<void> {
    const state = this.#thread.endTransaction();
    if (state === 'lost') throw new Error('the SQLite thread restarted during the transaction');
    if (state === 'open') await this.#thread.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(): Promise<void> {
    if (this.#thread.endTransaction() === 'open') await this.#thread.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.#thread.release();
  }

  async destroy(): Promise<void> {
    await this.#thread.close();
  }
}

/** Kysely's SQLite dialect over the thread's connection. */
export function sqliteThreadDialect(thread: SqliteThread): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new SqliteThreadDriver(thread),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}
