import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kurier-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PAGE = 4096;
const FRAME = PAGE + 24;

const WAL = { rewindPages: 400, checkpointMs: 20, backstopPages: 10_000 };

/**
 * `count` commits one after another with no pause, made durable 20 at a time as the writer's
 * group commit does; the WAL file's largest extent meanwhile. Without the fdatasyncs a slow disk
 * would slow the checkpoints (which fsync) but not the writes, which no server does.
 */
async function writeSteadily(database: Database, path: string, count: number): Promise<number> {
  let largest = 0;
  for (let i = 0; i < count; i++) {
    await sql`insert into scratch (x) values (randomblob(3000))`.execute(database.db);
    if (i % 20 === 19) await database.sync?.();
    if (i % 50 === 0) largest = Math.max(largest, statSync(`${path}-wal`).size);
  }
  return Math.max(largest, statSync(`${path}-wal`).size);
}

describe('the WAL under steady writes (SQLite)', () => {
  it('D4: is started over near its limit between two commits, never by a checkpoint inside one', async () => {
    const path = join(dir, 'steady.db');
    // SQLite's own checkpoint in a COMMIT (the backstop) is at 10,000 pages: a WAL that grows past
    // 5,000 was only ever started over by it. What lands between a pass and the rewind after it
    // adds up to a few hundred pages, under 1,100 with the disk kept busy by `dd`.
    const database = await openDatabase({ sqlitePath: path }, { wal: WAL });
    try {
      await sql`create table scratch (x blob)`.execute(database.db);
      // The background passes never find the WAL fully copied, as under steady traffic.
      const largest = await writeSteadily(database, path, 12_000);
      const { rows } = await sql<{ n: number }>`select count(*) as n from scratch`.execute(database.db);
      expect(rows[0]?.n).toBe(12_000);
      // ~12,000 pages were written; the file (its largest extent) stayed near the limit.
      expect(largest).toBeGreaterThan(300 * FRAME);
      expect(largest).toBeLessThan(5000 * FRAME);
      // What /metrics shows of it: the WAL's size at the last pass, and the rewinds.
      const stats = database.walStats?.();
      expect(stats?.rewinds).toBeGreaterThan(0);
      expect(stats?.pages).toBeLessThan(5000);
    } finally {
      await database.close();
    }
  });

  it('D4: a reader on old frames holds the WAL: no rewind is counted, and once it ends the WAL is started over again', async () => {
    const path = join(dir, 'held.db');
    const database = await openDatabase({ sqlitePath: path }, { wal: WAL });
    const reader = new SQLite(path);
    try {
      await sql`create table scratch (x blob)`.execute(database.db);
      // A long read (a backup, a report) keeps its snapshot: no checkpoint may copy past it.
      reader.exec('begin');
      reader.prepare('select count(*) from scratch').get();
      await writeSteadily(database, path, 1500);
      const held = database.walStats?.();
      expect(held?.rewinds).toBe(0);
      expect(held?.pages).toBeGreaterThan(WAL.rewindPages);
      reader.exec('commit');
      await writeSteadily(database, path, 1500);
      expect(database.walStats?.().rewinds).toBeGreaterThan(0);
    } finally {
      reader.close();
      await database.close();
    }
  });
});
