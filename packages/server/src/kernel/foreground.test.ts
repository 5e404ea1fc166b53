import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Foreground, yieldToForeground } from './foreground.js';

/** How long `yieldToForeground` held this thread. */
function timed(counter: Int32Array, maxMs: number): number {
  const started = performance.now();
  yieldToForeground(counter, maxMs);
  return performance.now() - started;
}

describe('foreground work', () => {
  it('M9: background work yields to a catch-up under way until it ends, and never longer than its bound', async () => {
    const foreground = new Foreground();
    expect(foreground.busy).toBe(false);
    expect(timed(foreground.counter, 5000)).toBeLessThan(50);

    // Another thread ends the catch-up after 100 ms: the waiting thread wakes then.
    foreground.enter();
    expect(foreground.busy).toBe(true);
    const other = new Worker(
      `const { workerData } = require('node:worker_threads');
       setTimeout(() => { Atomics.sub(workerData, 0, 1); Atomics.notify(workerData, 0); }, 100);`,
      { eval: true, workerData: foreground.counter },
    );
    const waited = timed(foreground.counter, 5000);
    await other.terminate();
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(2500);
    expect(foreground.busy).toBe(false);

    // A catch-up that does not end (a client that stopped reading) holds it back only briefly.
    foreground.enter();
    const capped = timed(foreground.counter, 100);
    expect(capped).toBeGreaterThanOrEqual(95);
    expect(capped).toBeLessThan(1000);
    foreground.leave();
    expect(foreground.busy).toBe(false);
  });
});
