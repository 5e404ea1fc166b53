import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../db/index.js';
import { Writer } from './writer.js';

// The writer's durability pipeline on its own: what it acknowledges, and when it fsyncs itself.
describe('the writer', () => {
  let database: Database;
  let syncs: number;
  let observed: number[];
  let release: (() => void) | null;
  let writer: Writer;

  beforeEach(async () => {
    database = await openDatabase({ sqlitePath: ':memory:' });
    syncs = 0;
    observed = [];
    release = null;
    writer = new Writer(database.db, {
      // A sync that only finishes when the test lets it: acknowledgements must wait for it.
      sync: () =>
        new Promise<void>((resolve) => {
          syncs++;
          release = resolve;
        }),
      onSync: (seconds) => observed.push(seconds),
    });
  });

  afterEach(async () => {
    await database.close();
  });

  it('W1: a batch whose handler synced itself is acknowledged without the writer’s own fsync', async () => {
    writer.registerOwn<number, number>('own', async (items) => ({
      results: items.map((n) => ({ ok: true as const, value: n * 2 })),
      synced: 0.002,
    }));
    const answers = await Promise.all([1, 2, 3].map((n) => writer.submit<number>('own', n)));
    expect(answers).toEqual([2, 4, 6]);
    expect(syncs).toBe(0);
    // The handler's fsync is what /metrics reports.
    expect(observed).toEqual([0.002]);
  });

  it('W2: without it (or when its fsync failed) nothing is acknowledged before the writer’s fsync', async () => {
    writer.registerOwn<number, number>('plain', async (items) => ({
      results: items.map((n) => ({ ok: true as const, value: n })),
      synced: null,
    }));
    let settled = false;
    const answer = writer.submit<number>('plain', 7).then((v) => {
      settled = true;
      return v;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(syncs).toBe(1);
    expect(settled).toBe(false);
    release?.();
    expect(await answer).toBe(7);
  });

  it('W3: a self-synced commit also covers an earlier commit still waiting for the writer’s fsync', async () => {
    writer.registerOwn<number, number>('plain', async (items) => ({
      results: items.map((n) => ({ ok: true as const, value: n })),
    }));
    writer.registerOwn<number, number>('own', async (items) => ({
      results: items.map((n) => ({ ok: true as const, value: n })),
      synced: 0.001,
    }));
    const first = writer.submit<number>('plain', 1);
    await new Promise((r) => setTimeout(r, 20));
    // The first commit's fsync is still running; the second commit syncs itself meanwhile.
    const second = writer.submit<number>('own', 2);
    await new Promise((r) => setTimeout(r, 20));
    release?.();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(syncs).toBe(1);
  });
});
