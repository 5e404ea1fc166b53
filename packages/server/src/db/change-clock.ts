import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/**
 * Reserves `count` consecutive change ids inside a transaction and returns the first.
 * On PostgreSQL the row update also locks the counter until commit, so change ids are committed
 * in id order even across processes; on SQLite the single writer connection gives the same.
 */
export async function allocateChangeIds(trx: Kysely<DB>, count: number): Promise<number> {
  const row = await trx
    .updateTable('counters')
    .set((eb) => ({ value: eb('value', '+', count) }))
    .where('name', '=', 'change')
    .returning('value')
    .executeTakeFirstOrThrow();
  return row.value - count + 1;
}

/** The newest change id committed so far. */
export async function currentChangeId(db: Kysely<DB>): Promise<number> {
  const row = await db.selectFrom('counters').select('value').where('name', '=', 'change').executeTakeFirstOrThrow();
  return row.value;
}
