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
 * in a transaction the writer opens. It still runs in the writer's order.
 * `synced`: the handler made its commit durable itself (an fdatasync after it, which covers every
 * earlier commit too) and how many seconds that took; the writer then skips its own sync.
 * A `null` result defers the item to the kind's fallback handler (see `registerOwn`).
 */
export type OwnBatchHandler<TItem, TResult> = (items: TItem[]) => Promise<{
  results: (Result<TResult> | null)[];
  publish?: () => void | Promise<void>;
  synced?: number | null;
}>;

/** How an own batch kind runs (`registerOwn`). */
export interface OwnBatchOptions<TItem, TResult> {
  /**
   * Runs the items the own handler deferred, in a transaction of its own that commits after the
   * own batch (and after any batch still in flight), before anything queued later.
   */
  fallback?: BatchHandler<TItem, TResult>;
  /**
   * The handler's commits may overlap: a second batch may be handed over while the first is still
   * running, as long as they commit in the order they were handed over (one queue on the SQLite
   * thread). So the thread never waits for the event loop to hand it the next batch.
   */
  pipelined?: boolean;
}

type Handler =
  | { own: false; run: BatchHandler<unknown, unknown> }
  | {
      own: true;
      run: OwnBatchHandler<unknown, unknown>;
      fallback: BatchHandler<unknown, unknown> | undefined;
      pipelined: boolean;
    };

type BatchJob = { kind: 'batch'; key: string; item: unknown; settle: Settle };

type Job = { kind: 'tx'; run: (trx: Kysely<DB>) => Promise<Committed<unknown>>; settle: Settle } | BatchJob;

/** A batch that must run before anything queued: a retry of one item, or deferred items. */
interface FrontBatch {
  jobs: BatchJob[];
  handler: Handler;
}

interface Settle {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type OwnOutcome = { out: Awaited<ReturnType<OwnBatchHandler<unknown, unknown>>> } | { err: unknown };

/** Runs an own handler on the jobs' items; its failure becomes a value, handled in order later. */
const outcomeOf = (handler: Extract<Handler, { own: true }>, jobs: readonly BatchJob[]): Promise<OwnOutcome> =>
  handler.run(jobs.map((j) => j.item)).then(
    (out): OwnOutcome => ({ out }),
    (err: unknown): OwnOutcome => ({ err }),
  );

/** Options of the writer. */
export interface WriterOptions {
  /**
   * Makes every commit so far durable (SQLite: fdatasync of the WAL on the thread pool). Absent
   * when a commit is durable by itself (PostgreSQL).
   */
  sync?: () => Promise<void>;
  /** What failed after a commit without failing its jobs: publishing it, or a bug in settling them. */
  onError?: (err: unknown) => void;
  /** Observes each committed batch: its kind, item count and transaction time (for /metrics). */
  onBatch?: (kind: string, items: number, seconds: number) => void;
  /** Observes each fsync and how long it took (for /metrics). */
  onSync?: (seconds: number) => void;
}

const MAX_BATCH = 2_000;
/** Pipelined batches in flight at most: one running on the thread, one waiting behind it. */
const PIPELINE_DEPTH = 2;
/**
 * A second batch is handed over early only when this many items wait: below saturation, waiting
 * for the running batch gathers more items into one commit (and one fsync), which is faster for
 * all of them than two small commits one after the other (docs/benchmarks.md, 2026-12-04).
 */
const PIPELINE_MIN_ITEMS = 64;

/**
 * The single writer of change-producing transactions (group commit).
 *
 * Transactions run one at a time, except that a pipelined kind's batches (procedures on the
 * SQLite thread) may be handed over while the previous one still runs; they commit in that order.
 * A committed job then passes through one ordered pipeline: durable (one fsync covers every commit
 * made before it started) → publish → settle. So nothing is acknowledged or shown to anyone before
 * it is durable, live events leave in change-id order (what sync cursors rely on), and the next
 * transaction runs while the previous one is fsynced. Queued items of a batch kind (sends,
 * receipts) share one transaction.
 */
export class Writer {
  readonly #db: Kysely<DB>;
  readonly #handlers = new Map<string, Handler>();
  readonly #sync: (() => Promise<void>) | undefined;
  readonly #onError: (err: unknown) => void;
  readonly #onBatch: NonNullable<WriterOptions['onBatch']>;
  readonly #onSync: NonNullable<WriterOptions['onSync']>;
  #queue: Job[] = [];
  /** Retries and deferred items: they run before the queue, alone, with nothing in flight. */
  readonly #front: FrontBatch[] = [];
  #scheduled = false;
  /** A job that needs the writer to itself is running. */
  #exclusive = false;
  /** Pipelined batches handed over and not yet handled. */
  #inFlight = 0;
  /** Handles the answers of pipelined batches strictly in the order they were handed over. */
  #answers: Promise<void> = Promise.resolve();
  #pipeline: Promise<void> = Promise.resolve();
  #committed = 0;
  #durable = 0;

  constructor(db: Kysely<DB>, options: WriterOptions = {}) {
    this.#db = db;
    this.#sync = options.sync;
    this.#onError = options.onError ?? (() => {});
    this.#onBatch = options.onBatch ?? (() => {});
    this.#onSync = options.onSync ?? (() => {});
  }

  /** Registers the handler for a batch kind. */
  register<TItem, TResult>(key: string, handler: BatchHandler<TItem, TResult>): void {
    this.#handlers.set(key, { own: false, run: handler as BatchHandler<unknown, unknown> });
  }

  /** Registers a handler for a batch kind that commits on its own. */
  registerOwn<TItem, TResult>(
    key: string,
    handler: OwnBatchHandler<TItem, TResult>,
    options: OwnBatchOptions<TItem, TResult> = {},
  ): void {
    this.#handlers.set(key, {
      own: true,
      run: handler as OwnBatchHandler<unknown, unknown>,
      fallback: options.fallback as BatchHandler<unknown, unknown> | undefined,
      pipelined: options.pipelined ?? false,
    });
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

  /** Resolves once every queued job is durable, published and settled (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.#busy()) await new Promise((r) => setImmediate(r));
    await this.#pipeline;
  }

  #busy(): boolean {
    return this.#scheduled || this.#exclusive || this.#inFlight > 0 || this.#front.length > 0 || this.#queue.length > 0;
  }

  #kick(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate lets every frame that arrived in this I/O turn join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** Starts what may start now; called again whenever a job or an in-flight batch is done. */
  #pump(): void {
    while (!this.#exclusive) {
      const front = this.#front[0];
      if (front) {
        if (this.#inFlight > 0) return;
        this.#front.shift();
        this.#runExclusive(() => this.#runBatch(front.jobs, front.handler));
        return;
      }
      const job = this.#queue[0];
      if (!job) return;
      const handler = job.kind === 'batch' ? this.#handlers.get(job.key) : undefined;
      if (handler?.own && handler.pipelined && job.kind === 'batch') {
        if (this.#inFlight >= PIPELINE_DEPTH) return;
        if (this.#inFlight > 0 && this.#queue.length < PIPELINE_MIN_ITEMS) return;
        this.#handOver(handler, this.#takeBatch(job.key));
        continue;
      }
      if (this.#inFlight > 0) return;
      if (job.kind === 'batch') {
        const jobs = this.#takeBatch(job.key);
        this.#runExclusive(() => this.#runBatch(jobs, handler));
      } else {
        this.#queue.shift();
        this.#runExclusive(() => this.#runTx(job));
      }
    }
  }

  #runExclusive(run: () => Promise<void>): void {
    this.#exclusive = true;
    void run()
      .catch((err: unknown) => this.#onError(err))
      .finally(() => {
        this.#exclusive = false;
        this.#pump();
      });
  }

  /** A bug in handling an answer must not stop the writer: its jobs are refused instead. */
  #guarded(jobs: BatchJob[], run: () => void): void {
    try {
      run();
    } catch (err) {
      for (const j of jobs) j.settle.reject(toKurierError(err));
    }
  }

  #takeBatch(key: string): BatchJob[] {
    const taken: BatchJob[] = [];
    const rest: Job[] = [];
    for (const job of this.#queue) {
      if (job.kind === 'batch' && job.key === key && taken.length < MAX_BATCH) taken.push(job);
      else rest.push(job);
    }
    this.#queue = rest;
    return taken;
  }

  /** Hands a pipelined batch over at once; its answer is handled after every earlier one. */
  #handOver(handler: Extract<Handler, { own: true }>, jobs: BatchJob[]): void {
    this.#inFlight++;
    const started = performance.now();
    const answer = outcomeOf(handler, jobs);
    this.#answers = this.#answers.then(async () => {
      const outcome = await answer;
      this.#inFlight--;
      this.#guarded(jobs, () => this.#settleOwn({ jobs, handler, started }, outcome));
      this.#pump();
    });
  }

  async #runTx(job: Exclude<Job, BatchJob>): Promise<void> {
    let committed: Committed<unknown>;
    try {
      committed = await this.#db.transaction().execute(job.run);
    } catch (err) {
      job.settle.reject(err);
      return;
    }
    this.#afterCommit(committed.publish, [() => job.settle.resolve(committed.result)], [job.settle]);
  }

  /** Runs a batch with the writer to itself (one transaction at a time). */
  async #runBatch(jobs: BatchJob[], handler: Handler | undefined): Promise<void> {
    const first = jobs[0];
    if (!first) return;
    if (!handler) {
      for (const j of jobs) j.settle.reject(new KurierError('INTERNAL', { message: `no handler ${first.key}` }));
      return;
    }
    const started = performance.now();
    if (handler.own) {
      const outcome = await outcomeOf(handler, jobs);
      this.#guarded(jobs, () => this.#settleOwn({ jobs, handler, started }, outcome));
      return;
    }
    let out: Awaited<ReturnType<BatchHandler<unknown, unknown>>>;
    try {
      out = await this.#db.transaction().execute((trx) =>
        handler.run(
          trx,
          jobs.map((j) => j.item),
        ),
      );
    } catch (err) {
      this.#failed(jobs, handler, err);
      return;
    }
    this.#onBatch(first.key, jobs.length, (performance.now() - started) / 1000);
    this.#committedBatch(jobs, out.results, out.publish);
  }

  /** What follows an own batch's answer: the commit's pipeline, deferred items, or retries. */
  #settleOwn(
    { jobs, handler, started }: { jobs: BatchJob[]; handler: Extract<Handler, { own: true }>; started: number },
    outcome: OwnOutcome,
  ): void {
    if ('err' in outcome) {
      this.#failed(jobs, handler, outcome.err);
      return;
    }
    const { out } = outcome;
    const done: BatchJob[] = [];
    const results: Result<unknown>[] = [];
    const deferred: BatchJob[] = [];
    out.results.forEach((r, i) => {
      const job = jobs[i] as BatchJob;
      if (r) {
        done.push(job);
        results.push(r);
      } else deferred.push(job);
    });
    // A batch whose items were all deferred committed nothing: no epoch, nothing to announce.
    if (done.length > 0) {
      this.#onBatch((jobs[0] as BatchJob).key, done.length, (performance.now() - started) / 1000);
      if (typeof out.synced === 'number') {
        // Every commit so far, this one included (its epoch is the next), is on disk already.
        this.#durable = Math.max(this.#durable, this.#committed + 1);
        this.#onSync(out.synced);
      }
      this.#committedBatch(done, results, out.publish);
    }
    if (deferred.length === 0) return;
    const fallback: Handler | undefined = handler.fallback && { own: false, run: handler.fallback };
    if (fallback) this.#front.push({ jobs: deferred, handler: fallback });
    else for (const j of deferred) j.settle.reject(new KurierError('INTERNAL', { message: 'no fallback handler' }));
  }

  /** One poisoned item must not fail its neighbours: each is retried alone, before anything else. */
  #failed(jobs: BatchJob[], handler: Handler, err: unknown): void {
    if (jobs.length === 1) {
      (jobs[0] as BatchJob).settle.reject(toKurierError(err));
      return;
    }
    // Behind retries queued earlier (by a batch handed over before this one), in item order.
    for (const job of jobs) this.#front.push({ jobs: [job], handler });
  }

  #committedBatch(jobs: BatchJob[], results: Result<unknown>[], publish: Committed<unknown>['publish']): void {
    const settles = results.map((r, i) => () => {
      const settle = jobs[i]?.settle;
      if (r.ok) settle?.resolve(r.value);
      else settle?.reject(r.error);
    });
    this.#afterCommit(
      publish,
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
      this.#onError(err);
    }
  }
}
