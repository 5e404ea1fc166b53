import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Result } from './errors.js';
import { KurierError, toKurierError } from './errors.js';

/** What a write job hands back: its result, and what to announce once the commit is durable. */
export interface Committed<TResult> {
  result: TResult;
  publish?: () => void | Promise<void>;
}

/** Handles many queued items of one kind in one transaction; one Result per item, in order. */
export type BatchHandler<TItem, TResult> = (
  trx: Kysely<DB>,
  items: TItem[],
) => Promise<{ results: Result<TResult>[]; publish?: () => void | Promise<void> }>;

/**
 * Like BatchHandler, but commits on its own (e.g. as a procedure on the SQLite thread) instead of
 * in a transaction the writer opens. It still runs in the writer's order, one job at a time.
 * `synced`: the handler made its commit durable itself (an fdatasync after it, which covers every
 * earlier commit too) and how many seconds that took; the writer then skips its own sync.
 */
export type OwnBatchHandler<TItem, TResult> = (
  items: TItem[],
) => Promise<{ results: Result<TResult>[]; publish?: () => void | Promise<void>; synced?: number | null }>;

type Handler =
  | { own: false; run: BatchHandler<unknown, unknown> }
  | { own: true; run: OwnBatchHandler<unknown, unknown> };

type Job =
  | { kind: 'tx'; run: (trx: Kysely<DB>) => Promise<Committed<unknown>>; settle: Settle }
  | { kind: 'own'; run: () => Promise<Committed<unknown>>; settle: Settle }
  | { kind: 'batch'; key: string; item: unknown; settle: Settle };

interface Settle {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** Options of the writer. */
export interface WriterOptions {
  /**
   * Makes every commit so far durable (SQLite: fdatasync of the WAL on the thread pool). Absent
   * when a commit is durable by itself (PostgreSQL).
   */
  sync?: () => Promise<void>;
  onPublishError?: (err: unknown) => void;
  /** Observes each committed batch: its kind, item count and transaction time (for /metrics). */
  onBatch?: (kind: string, items: number, seconds: number) => void;
  /** Observes each fsync and how long it took (for /metrics). */
  onSync?: (seconds: number) => void;
}

const MAX_BATCH = 2_000;

/**
 * The single writer of change-producing transactions (group commit).
 *
 * Transactions run one at a time. A committed job then passes through one ordered pipeline:
 * durable (one fsync covers every commit made before it started) → publish → settle. So nothing
 * is acknowledged or shown to anyone before it is durable, live events leave in change-id order
 * (what sync cursors rely on), and the next transaction runs while the previous one is fsynced.
 * Queued items of a batch kind (sends, receipts) share one transaction.
 */
export class Writer {
  readonly #db: Kysely<DB>;
  readonly #handlers = new Map<string, Handler>();
  readonly #sync: (() => Promise<void>) | undefined;
  readonly #onPublishError: (err: unknown) => void;
  readonly #onBatch: NonNullable<WriterOptions['onBatch']>;
  readonly #onSync: NonNullable<WriterOptions['onSync']>;
  #queue: Job[] = [];
  #running = false;
  #pipeline: Promise<void> = Promise.resolve();
  #committed = 0;
  #durable = 0;

  constructor(db: Kysely<DB>, options: WriterOptions = {}) {
    this.#db = db;
    this.#sync = options.sync;
    this.#onPublishError = options.onPublishError ?? (() => {});
    this.#onBatch = options.onBatch ?? (() => {});
    this.#onSync = options.onSync ?? (() => {});
  }

  /** Registers the handler for a batch kind. */
  register<TItem, TResult>(key: string, handler: BatchHandler<TItem, TResult>): void {
    this.#handlers.set(key, { own: false, run: handler as BatchHandler<unknown, unknown> });
  }

  /** Registers a handler for a batch kind that commits on its own. */
  registerOwn<TItem, TResult>(key: string, handler: OwnBatchHandler<TItem, TResult>): void {
    this.#handlers.set(key, { own: true, run: handler as OwnBatchHandler<unknown, unknown> });
  }

  /** Runs `run` in its own transaction, serialized with every other write. */
  transact<TResult>(run: (trx: Kysely<DB>) => Promise<Committed<TResult>>): Promise<TResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: 'tx', run, settle: { resolve: resolve as Settle['resolve'], reject } });
      this.#kick();
    });
  }

  /**
   * Runs `run`, which commits on its own (a procedure on the SQLite thread), in the writer's
   * order: serialized with every other write, durable before it resolves.
   */
  transactOwn<TResult>(run: () => Promise<Committed<TResult>>): Promise<TResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: 'own', run, settle: { resolve: resolve as Settle['resolve'], reject } });
      this.#kick();
    });
  }

  /** Queues one item for its kind's batch handler; resolves after the durable commit. */
  submit<TResult>(key: string, item: unknown): Promise<TResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: 'batch', key, item, settle: { resolve: resolve as Settle['resolve'], reject } });
      this.#kick();
    });
  }

  /** Resolves once every queued job is durable, published and settled (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.#running || this.#queue.length > 0) await new Promise((r) => setImmediate(r));
    await this.#pipeline;
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    // setImmediate lets every frame that arrived in this I/O turn join the first batch.
    setImmediate(() => void this.#loop());
  }

  async #loop(): Promise<void> {
    while (this.#queue.length > 0) {
      const job = this.#queue[0] as Job;
      if (job.kind !== 'batch') {
        this.#queue.shift();
        await this.#runTx(job);
      } else {
        await this.#runBatch(this.#takeBatch(job.key));
      }
    }
    this.#running = false;
  }

  #takeBatch(key: string): Extract<Job, { kind: 'batch' }>[] {
    const taken: Extract<Job, { kind: 'batch' }>[] = [];
    const rest: Job[] = [];
    for (const job of this.#queue) {
      if (job.kind === 'batch' && job.key === key && taken.length < MAX_BATCH) taken.push(job);
      else rest.push(job);
    }
    this.#queue = rest;
    return taken;
  }

  async #runTx(job: Exclude<Job, { kind: 'batch' }>): Promise<void> {
    let committed: Committed<unknown>;
    try {
      committed = job.kind === 'own' ? await job.run() : await this.#db.transaction().execute(job.run);
    } catch (err) {
      job.settle.reject(err);
      return;
    }
    this.#afterCommit(committed.publish, [() => job.settle.resolve(committed.result)], [job.settle]);
  }

  async #runBatch(jobs: Extract<Job, { kind: 'batch' }>[]): Promise<void> {
    const first = jobs[0];
    if (!first) return;
    const handler = this.#handlers.get(first.key);
    if (!handler) {
      for (const j of jobs) j.settle.reject(new KurierError('INTERNAL', { message: `no handler ${first.key}` }));
      return;
    }
    let out: Awaited<ReturnType<OwnBatchHandler<unknown, unknown>>>;
    const started = performance.now();
    const items = jobs.map((j) => j.item);
    try {
      out = handler.own
        ? await handler.run(items)
        : await this.#db.transaction().execute((trx) => handler.run(trx, items));
    } catch (err) {
      if (jobs.length === 1) {
        first.settle.reject(toKurierError(err));
        return;
      }
      // One poisoned item must not fail its neighbours: retry each alone.
      for (const job of jobs) await this.#runBatch([job]);
      return;
    }
    this.#onBatch(first.key, jobs.length, (performance.now() - started) / 1000);
    if (typeof out.synced === 'number') {
      // Every commit so far, this one included (its epoch is the next), is on disk already.
      this.#durable = Math.max(this.#durable, this.#committed + 1);
      this.#onSync(out.synced);
    }
    const settles = out.results.map((r, i) => () => {
      const settle = jobs[i]?.settle;
      if (r.ok) settle?.resolve(r.value);
      else settle?.reject(r.error);
    });
    this.#afterCommit(
      out.publish,
      settles,
      jobs.map((j) => j.settle),
    );
  }

  /** Queues durable → publish → settle for a commit, behind every earlier commit. */
  #afterCommit(publish: Committed<unknown>['publish'], settle: (() => void)[], onFailure: Settle[]): void {
    const epoch = ++this.#committed;
    this.#pipeline = this.#pipeline.then(async () => {
      try {
        await this.#makeDurable(epoch);
      } catch (err) {
        // Not durable means not acknowledged; a retry with the same clientMsgId is safe.
        for (const s of onFailure) s.reject(new KurierError('INTERNAL', { cause: err }));
        return;
      }
      await this.#publish(publish);
      for (const s of settle) s();
    });
  }

  async #makeDurable(epoch: number): Promise<void> {
    if (!this.#sync || this.#durable >= epoch) return;
    // Everything committed before this fsync starts is covered by it.
    const covers = this.#committed;
    const started = performance.now();
    await this.#sync();
    this.#onSync((performance.now() - started) / 1000);
    this.#durable = Math.max(this.#durable, covers);
  }

  /**
   * Announces a commit. It is durable already, so a failure here must not fail the job: clients
   * catch up through sync. Never throws.
   */
  async #publish(publish: Committed<unknown>['publish']): Promise<void> {
    try {
      await publish?.();
    } catch (err) {
      this.#onPublishError(err);
    }
  }
}
