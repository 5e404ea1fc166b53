import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildMessage, Provisioned, ProvisionRequest } from './protocol.js';

/** Which server a scenario runs against. */
export type TargetKind = 'kurier' | 'baseline';

/** A server under test in its own process. */
export class Target {
  readonly kind: TargetKind;
  #child: ChildProcess;
  #port = 0;

  private constructor(kind: TargetKind, child: ChildProcess) {
    this.kind = kind;
    this.#child = child;
  }

  /** Starts the server process and waits until it listens. */
  static async start(kind: TargetKind): Promise<Target> {
    const entry = join(import.meta.dirname, kind === 'kurier' ? 'kurier-server.ts' : 'baseline-relay.ts');
    // KURIER_BENCH_PROFILE=dir writes a V8 CPU profile of each Kurier server process there.
    const dir = process.env.KURIER_BENCH_PROFILE;
    const profile = dir && kind === 'kurier' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
    const child = fork(entry, [], {
      execArgv: ['--expose-gc', ...profile, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const target = new Target(kind, child);
    const ready = await target.#next();
    if (ready.type !== 'ready') throw new Error(`${kind} did not start`);
    target.#port = ready.port;
    return target;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.#port}/ws`;
  }

  /** Creates users, devices and conversations on the server. */
  async provision(request: ProvisionRequest): Promise<Provisioned> {
    this.#child.send({ type: 'provision', request });
    const answer = await this.#next();
    if (answer.type !== 'provisioned') throw new Error(answer.type === 'failed' ? answer.error : 'provision failed');
    return answer.result;
  }

  /** Resident set size and V8 heap in use of the server process in bytes, after a full GC there. */
  async memory(): Promise<{ rss: number; heapUsed: number }> {
    this.#child.send({ type: 'gc' });
    const answer = await this.#next();
    const heapUsed = answer.type === 'gc-done' ? answer.heapUsed : 0;
    const status = readFileSync(`/proc/${this.#child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { rss: kb * 1024, heapUsed };
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.#child.once('exit', r));
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  #next(): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error(`${this.kind} exited`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (m) => {
        this.#child.off('exit', onExit);
        resolve(m as ChildMessage);
      });
    });
  }
}
