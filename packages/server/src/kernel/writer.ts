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

type Job =
  | { kind: 'tx'; run: (trx: Kysely<DB>) => Promise<Committed<unknown>>; settle: Settle }
  | { kind: 'batch'; key: string; item: unknown; settle: Settle };

interface Settle {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

const MAX_BATCH = 2_000;

/**
 * The single writer of change-producing transactions (group commit).
 *
 * Jobs run one at a time, and each job's events are published right after its commit and before
 * the next job starts, so live events leave the process in change-id order — the property sync
 * cursors rely on. Queued items of a batch kind (sends, receipts) are taken together into one
 * transaction: one fsync acknowledges hundreds of messages.
 */
export class Writer {
  readonly #db: Kysely<DB>;
  readonly #handlers = new Map<string, BatchHandler<unknown, unknown>>();
  #queue: Job[] = [];
  #running = false;
  #idle: (() => void)[] = [];

  readonly #onPublishError: (err: unknown) => void;

  constructor(db: Kysely<DB>, onPublishError: (err: unknown) => void = () => {}) {
    this.#db = db;
    this.#onPublishError = onPublishError;
  }

  /** Registers the handler for a batch kind. */
  register<TItem, TResult>(key: string, handler: BatchHandler<TItem, TResult>): void {
    this.#handlers.set(key, handler as BatchHandler<unknown, unknown>);
  }

  /** Runs `run` in its own transaction, serialized with every other write. */
  transact<TResult>(run: (trx: Kysely<DB>) => Promise<Committed<TResult>>): Promise<TResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: 'tx', run, settle: { resolve: resolve as Settle['resolve'], reject } });
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

  /** Resolves once every queued job has committed (graceful shutdown). */
  drain(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
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
      if (job.kind === 'tx') {
        this.#queue.shift();
        await this.#runTx(job);
      } else {
        await this.#runBatch(this.#takeBatch(job.key));
      }
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
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

  async #runTx(job: Extract<Job, { kind: 'tx' }>): Promise<void> {
    try {
      const committed = await this.#db.transaction().execute(job.run);
      await this.#publish(committed.publish);
      job.settle.resolve(committed.result);
    } catch (err) {
      job.settle.reject(err);
    }
  }

  /**
   * Announces a commit. It is durable already, so a failure here must not fail (or, through the
   * retry path, repeat) the job: clients catch up through sync. Never throws.
   */
  async #publish(publish: (() => void | Promise<void>) | undefined): Promise<void> {
    try {
      await publish?.();
    } catch (err) {
      this.#onPublishError(err);
    }
  }

  async #runBatch(jobs: Extract<Job, { kind: 'batch' }>[]): Promise<void> {
    const first = jobs[0];
    if (!first) return;
    const handler = this.#handlers.get(first.key);
    if (!handler) {
      for (const j of jobs) j.settle.reject(new KurierError('INTERNAL', { message: `no handler ${first.key}` }));
      return;
    }
    try {
      const out = await this.#db.transaction().execute((trx) =>
        handler(
          trx,
          jobs.map((j) => j.item),
        ),
      );
      await this.#publish(out.publish);
      out.results.forEach((r, i) => {
        const settle = jobs[i]?.settle;
        if (r.ok) settle?.resolve(r.value);
        else settle?.reject(r.error);
      });
    } catch (err) {
      if (jobs.length === 1) {
        first.settle.reject(toKurierError(err));
        return;
      }
      // One poisoned item must not fail its neighbours: retry each alone.
      for (const job of jobs) await this.#runBatch([job]);
    }
  }
}
