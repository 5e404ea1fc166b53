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

  it('W4: pipelined batches overlap once many items wait, and settle and publish in the order they were handed over', async () => {
    const answers: (() => void)[] = [];
    const published: number[][] = [];
    writer.registerOwn<number, number>(
      'pipe',
      (items) =>
        new Promise((resolve) => {
          answers.push(() =>
            resolve({
              results: items.map((n) => ({ ok: true as const, value: n })),
              synced: 0,
              publish: () => void published.push(items),
            }),
          );
        }),
      { pipelined: true },
    );
    const settled: number[] = [];
    const submit = (n: number) => writer.submit<number>('pipe', n).then((v) => void settled.push(v));
    const first = submit(0);
    await new Promise((r) => setImmediate(r));
    // A few items wait for the running batch; many are handed over behind it at once.
    const few = [1, 2, 3].map(submit);
    await new Promise((r) => setImmediate(r));
    expect(answers).toHaveLength(1);
    const many = Array.from({ length: 70 }, (_, i) => submit(4 + i));
    await new Promise((r) => setImmediate(r));
    expect(answers).toHaveLength(2);
    // The later batch answers first: nothing of it may be published or settled before the first.
    answers[1]?.();
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toEqual([]);
    answers[0]?.();
    await Promise.all([first, ...few, ...many]);
    expect(published.map((b) => b.length)).toEqual([1, 73]);
    expect(settled).toEqual(Array.from({ length: 74 }, (_, i) => i));
  });

  it('W5: deferred items commit through the fallback after the batches in flight, before anything queued later', async () => {
    const commits: string[][] = [];
    let letAnswer = () => {};
    const answered = new Promise<void>((r) => {
      letAnswer = r;
    });
    // Like the SQLite thread: one batch after the other, in the order they were handed over.
    let thread: Promise<unknown> = Promise.resolve();
    writer.registerOwn<string, string>(
      'pipe',
      (items) => {
        const run = thread.then(async () => {
          // The first batch stays on the thread until the test lets it answer.
          if (items.includes('a')) await answered;
          commits.push(items.filter((i) => !i.startsWith('defer')));
          return {
            results: items.map((i) => (i.startsWith('defer') ? null : { ok: true as const, value: i })),
            synced: 0,
          };
        });
        thread = run;
        return run;
      },
      {
        pipelined: true,
        fallback: async (_trx, items) => {
          commits.push(items.map((i) => `fallback ${i}`));
          return { results: items.map((i) => ({ ok: true as const, value: `fallback ${i}` })) };
        },
      },
    );
    const submit = (item: string) => writer.submit<string>('pipe', item);
    const early = [submit('a'), submit('defer-1'), submit('b')];
    await new Promise((r) => setImmediate(r));
    const behind = Array.from({ length: 70 }, (_, i) => submit(`c${i}`));
    await new Promise((r) => setImmediate(r));
    letAnswer();
    await new Promise((r) => setImmediate(r));
    const later = submit('d');
    // The fallback's transaction is not synced by a handler: the writer's fsync covers it.
    while (syncs === 0) await new Promise((r) => setTimeout(r, 5));
    release?.();
    expect(await Promise.all(early)).toEqual(['a', 'fallback defer-1', 'b']);
    await Promise.all([...behind, later]);
    expect(commits.map((c) => c[0])).toEqual(['a', 'c0', 'fallback defer-1', 'd']);
  });

  it('W6: a pipelined batch that fails is retried item by item, so one poisoned item fails alone', async () => {
    writer.registerOwn<string, string>(
      'pipe',
      async (items) => {
        if (items.includes('poison')) throw new Error('constraint failed');
        return { results: items.map((i) => ({ ok: true as const, value: i })), synced: 0 };
      },
      { pipelined: true },
    );
    const answers = await Promise.allSettled(['x', 'poison', 'y'].map((i) => writer.submit<string>('pipe', i)));
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(answers[1]).toMatchObject({ reason: { code: 'INTERNAL' } });
  });
});
