import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcedureConnection } from '../db/sqlite-procedures.js';
import { RecentJson } from './recent-json.js';

describe('messages kept for catch-ups', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('S11: the newest messages within the budget stay; the oldest go first; one too big is not kept', () => {
    const kept = new RecentJson(10);
    kept.add(1, 'aaaa');
    kept.add(2, 'bbbb');
    kept.add(1, 'changed?');
    expect(kept.get(1)).toBe('aaaa');
    kept.add(3, 'cccc');
    expect([kept.get(1), kept.get(2), kept.get(3)]).toEqual([undefined, 'bbbb', 'cccc']);
    kept.add(4, 'x'.repeat(11));
    expect(kept.get(4)).toBeUndefined();
    expect(kept.size).toBe(2);
    // Long past the budget: the newest ten stay, whatever the bookkeeping of the oldest does.
    const many = new RecentJson(40);
    for (let id = 1; id <= 5000; id++) many.add(id, String(id % 10_000).padStart(4, '0'));
    expect(many.size).toBe(10);
    expect([many.get(4990), many.get(4991), many.get(5000)]).toEqual([undefined, '4991', '5000']);
  });

  it('S11: what a procedure keeps is kept once its transaction has committed, never after a rollback; a failing effect fails nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kurier-test-'));
    dirs.push(dir);
    const connection = new ProcedureConnection(join(dir, 'k.db'), { autocheckpoint: 1000 });
    // Another connection sees the row only once it is committed.
    const other = new Database(join(dir, 'k.db'));
    try {
      connection.sqlite.exec('create table t (v integer)');
      const count = () => (other.prepare('select count(*) as n from t').get() as { n: number }).n;
      const seen: number[] = [];
      const ok = async ({ sqlite, afterCommit }: Parameters<Parameters<typeof connection.run>[0]>[0]) => {
        sqlite.prepare('insert into t values (1)').run();
        afterCommit(() => seen.push(count()));
        return 'done';
      };
      const failing = async ({ sqlite, afterCommit }: Parameters<Parameters<typeof connection.run>[0]>[0]) => {
        sqlite.prepare('insert into t values (2)').run();
        afterCommit(() => seen.push(-1));
        throw new Error('rolled back');
      };
      const brokenEffect = async ({ sqlite, afterCommit }: Parameters<Parameters<typeof connection.run>[0]>[0]) => {
        sqlite.prepare('insert into t values (3)').run();
        afterCommit(() => {
          throw new Error('a cache that failed');
        });
        return 'stored';
      };
      expect((await connection.run(ok, null, false)).output).toBe('done');
      await expect(connection.run(failing, null, false)).rejects.toThrow('rolled back');
      // A committed transaction stays a success when an effect after it fails.
      expect((await connection.run(brokenEffect, null, false)).output).toBe('stored');
      // Run after the commit (the row is there), and not at all for the rollback.
      expect(seen).toEqual([1]);
      expect(count()).toBe(2);
    } finally {
      other.close();
      await connection.close();
    }
  });
});
