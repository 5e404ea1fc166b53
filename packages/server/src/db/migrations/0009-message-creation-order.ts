import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * Messages remember the change id they were created with. A message never changed since keeps
 * it as its change id, and in a conversation those grow with `seq`, so on SQLite the catch-up
 * finds new messages through `(conversation_id, seq)` and needs an index by change id only for
 * the changed ones (sync/store-sqlite.ts). A full `(conversation_id, change_id)` index cost every
 * send one more WAL page per message: each message lands on its own conversation's last leaf
 * (docs/benchmarks.md, "One index led by the conversation"). Rows from before this migration
 * get 0: they count as changed, so the smaller index holds them all and they are read as before.
 *
 * PostgreSQL keeps its index and query: its WAL logs rows, not whole pages.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .alterTable('messages')
    .addColumn('created_change_id', big, (c) => c.notNull().defaultTo(0))
    .execute();
  if (dialect !== 'sqlite') return;
  // The query must repeat this condition word for word for SQLite to use the partial index.
  await sql`create index messages_conversation_changed on messages (conversation_id, change_id)
    where change_id != created_change_id`.execute(db);
  await db.schema.dropIndex('messages_conversation_change').execute();
}
