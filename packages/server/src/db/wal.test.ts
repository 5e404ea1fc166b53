import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'kurier-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PAGE = 4096;
const FRAME = PAGE + 24;

describe('the WAL under steady writes (SQLite)', () => {
  it('D4: is started over near its limit between two commits, never by a checkpoint inside one', async () => {
    const path = join(dir, 'steady.db');
    // SQLite's own checkpoint in a COMMIT (the backstop) is at 4,000 pages: a WAL that grows past
    // 2,500 was only ever started over by it. What lands between a pass and the rewind after it
    // adds up to a few hundred pages here.
    const database = await openDatabase(
      { sqlitePath: path },
      { wal: { rewindPages: 400, checkpointMs: 20, backstopPages: 4000 } },
    );
    try {
      await sql`create table scratch (x blob)`.execute(database.db);
      let largest = 0;
      // One commit after another with no pause: the background passes never find the WAL fully
      // copied, as under steady traffic.
      for (let i = 0; i < 6000; i++) {
        await sql`insert into scratch (x) values (randomblob(3000))`.execute(database.db);
        if (i % 50 === 0) largest = Math.max(largest, statSync(`${path}-wal`).size);
      }
      largest = Math.max(largest, statSync(`${path}-wal`).size);
      const { rows } = await sql<{ n: number }>`select count(*) as n from scratch`.execute(database.db);
      expect(rows[0]?.n).toBe(6000);
      // ~6,000 pages were written; the file (its largest extent) stayed near the limit.
      expect(largest).toBeGreaterThan(300 * FRAME);
      expect(largest).toBeLessThan(2500 * FRAME);
      // What /metrics shows of it: the WAL's size at the last pass, and the rewinds asked for.
      const stats = database.walStats?.();
      expect(stats?.rewinds).toBeGreaterThan(0);
      expect(stats?.pages).toBeLessThan(2500);
    } finally {
      await database.close();
    }
  });
});
