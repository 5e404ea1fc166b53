import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildMessage, Provisioned, ProvisionRequest } from './protocol.js';

/**
 * Which server a scenario runs against: Kurier, the plain-ws relay, or that relay acknowledging
 * only after an fdatasync'd log write (`bench/src/baseline-relay.ts`).
 */
export type TargetKind = 'kurier' | 'baseline' | 'durable-baseline';

/** A server under test in its own process. */
export class Target {
  readonly kind: TargetKind;
  readonly #dataDir: string;
  #child: ChildProcess | null = null;
  #port = 0;

  private constructor(kind: TargetKind) {
    this.kind = kind;
    this.#dataDir = mkdtempSync(join(tmpdir(), `kurier-bench-${kind}-`));
  }

  /** Starts the server process and waits until it listens. */
  static async start(kind: TargetKind): Promise<Target> {
    const target = new Target(kind);
    try {
      await target.#spawn();
    } catch (err) {
      // A server that dies while starting leaves nobody to stop it: its data goes here.
      target.#child?.kill('SIGKILL');
      rmSync(target.#dataDir, { recursive: true, force: true });
      throw err;
    }
    return target;
  }

  async #spawn(): Promise<void> {
    const entry = join(import.meta.dirname, this.kind === 'kurier' ? 'kurier-server.ts' : 'baseline-relay.ts');
    // KURIER_BENCH_PROFILE=dir writes a V8 CPU profile of each Kurier server process there.
    const dir = process.env.KURIER_BENCH_PROFILE;
    const profile = dir && this.kind === 'kurier' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
    // KURIER_BENCH_PERF=1 names JIT frames for Linux `perf record` (/tmp/perf-<pid>.map). On this
    // VM `--cpu-prof` books time spent waiting in syscalls as CPU; perf counts real CPU per thread.
    const perf = process.env.KURIER_BENCH_PERF === '1' ? ['--perf-basic-prof'] : [];
    // KURIER_BENCH_NODE_FLAGS="--trace-gc-nvp --max-semi-space-size=64": Node and V8 flags for
    // every server under test (garbage collection was studied this way, docs/benchmarks.md).
    const flags = (process.env.KURIER_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    this.#child = fork(entry, [], {
      execArgv: ['--expose-gc', ...flags, ...profile, ...perf, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        KURIER_DATA_DIR: this.#dataDir,
        ...(this.kind === 'durable-baseline' ? { KURIER_RELAY_DURABLE: '1' } : {}),
      },
    });
    const ready = await this.#next();
    if (ready.type !== 'ready') throw new Error(`${this.kind} did not start`);
    this.#port = ready.port;
  }

  /**
   * Kurier only: stops the server and starts a fresh process on the same data. Memory scenarios
   * use it so that what provisioning allocated (scrypt's 16 MiB per hash in malloc arenas that
   * glibc keeps) cannot be reused by the connections and hide their cost.
   */
  async restart(): Promise<void> {
    if (this.kind !== 'kurier') return;
    await this.#exit();
    await this.#spawn();
  }

  /** The server's process id (for CPU figures from /proc). */
  get pid(): number {
    return this.#process.pid ?? 0;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.#port}/ws`;
  }

  /** The origin, as `@kurier/sdk` takes it. */
  get httpUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /**
   * Kurier only: the writer's group-commit figures from /metrics since start (batches, items per
   * batch, transaction and fsync time), to explain a scenario's result.
   */
  async writerStats(): Promise<Record<string, number>> {
    if (this.kind !== 'kurier') return {};
    const text = await (await fetch(`http://127.0.0.1:${this.#port}/metrics`)).text();
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
    const batches = value('kurier_writer_batch_items_count\\{kind="send"\\}');
    const syncs = value('kurier_writer_fsync_seconds_count');
    const minors = value('nodejs_gc_duration_seconds_count\\{kind="minor"\\}');
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      sendBatches: batches,
      itemsPerBatch: round(value('kurier_writer_batch_items_sum\\{kind="send"\\}') / (batches || 1)),
      transactionMs: round((value('kurier_writer_transaction_seconds_sum\\{kind="send"\\}') * 1000) / (batches || 1)),
      fsyncMs: round((value('kurier_writer_fsync_seconds_sum') * 1000) / (syncs || 1)),
      // Messages the background full-text index had not reached when the scenario ended.
      searchBacklog: value('kurier_search_index_backlog_messages'),
      // The event loop's garbage collection since the server started: mark-compacts, and the
      // mean scavenge pause (docs/decisions/2026-12-06-gc-pretenuring.md).
      markCompacts: value('nodejs_gc_duration_seconds_count\\{kind="major"\\}'),
      scavengeMs: round((value('nodejs_gc_duration_seconds_sum\\{kind="minor"\\}') * 1000) / (minors || 1)),
    };
  }

  /** Creates users, devices and conversations on the server. */
  async provision(request: ProvisionRequest): Promise<Provisioned> {
    this.#process.send({ type: 'provision', request });
    const answer = await this.#next();
    if (answer.type !== 'provisioned') throw new Error(answer.type === 'failed' ? answer.error : 'provision failed');
    return answer.result;
  }

  /**
   * Resident set size, V8 heap in use and V8 heap reserved of the server process in bytes, after
   * a full GC there.
   */
  async memory(): Promise<{ rss: number; heapUsed: number; heapTotal: number }> {
    this.#process.send({ type: 'gc' });
    const answer = await this.#next();
    const { heapUsed, heapTotal } = answer.type === 'gc-done' ? answer : { heapUsed: 0, heapTotal: 0 };
    const status = readFileSync(`/proc/${this.#process.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { rss: kb * 1024, heapUsed, heapTotal };
  }

  async stop(): Promise<void> {
    await this.#exit();
    rmSync(this.#dataDir, { recursive: true, force: true });
  }

  get #process(): ChildProcess {
    if (!this.#child) throw new Error(`${this.kind} is not running`);
    return this.#child;
  }

  async #exit(): Promise<void> {
    const child = this.#process;
    this.#child = null;
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  #next(): Promise<ChildMessage> {
    const child = this.#process;
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`${this.kind} exited`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as ChildMessage);
      });
    });
  }
}
