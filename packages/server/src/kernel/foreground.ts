/**
 * Interactive work under way (the catch-ups of devices coming online) that background work
 * yields to. A counter in shared memory: a worker thread reads it between its steps without a
 * message, and sleeps on it until the work is done.
 *
 * Why: sends come in bursts, and their recipients come back right after one. Indexing the burst
 * for search then took one of the machine's two cores from their catch-up (offline delivery of
 * 1,000 messages, median 11.0 ms against 8.8 ms without indexing; docs/benchmarks.md, 2026-12-06).
 */
export class Foreground {
  readonly counter = new Int32Array(new SharedArrayBuffer(4));

  enter(): void {
    Atomics.add(this.counter, 0, 1);
  }

  leave(): void {
    Atomics.sub(this.counter, 0, 1);
    Atomics.notify(this.counter, 0);
  }

  /** How many are under way. */
  get active(): number {
    return Atomics.load(this.counter, 0);
  }

  get busy(): boolean {
    return this.active > 0;
  }
}

/** On a worker thread: sleeps while foreground work is under way, at most `maxMs`. */
export function yieldToForeground(counter: Int32Array, maxMs: number): void {
  const until = performance.now() + maxMs;
  for (let n = Atomics.load(counter, 0); n > 0; n = Atomics.load(counter, 0)) {
    const left = until - performance.now();
    if (left <= 0) return;
    Atomics.wait(counter, 0, n, left);
  }
}
