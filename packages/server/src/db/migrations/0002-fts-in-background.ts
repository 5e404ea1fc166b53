import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * SQLite: new messages enter the FTS5 index in background batches instead of through a trigger
 * in the send transaction. An FTS5 insert per commit wrote a fresh index segment every few
 * messages, which cost the hot path a third of its pages; a batch of thousands writes one.
 * The `fts` counter is the highest `messages.pk` already indexed. PostgreSQL keeps its GIN index
 * (it buffers inserts in its own pending list).
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') return;
  await sql`drop trigger messages_fts_insert`.execute(db);
  await sql`drop trigger messages_fts_update`.execute(db);
  // Every existing row was indexed by the old trigger.
  await sql`insert into counters (name, value) select 'fts', coalesce(max(pk), 0) from messages`.execute(db);
  // Rows above the watermark are not in the index yet; the indexer reads their current text.
  await sql`create trigger messages_fts_update after update of text on messages
    when old.pk <= (select value from counters where name = 'fts') begin
      insert into messages_fts (messages_fts, rowid, text) select 'delete', old.pk, old.text where old.text is not null;
      insert into messages_fts (rowid, text) select new.pk, new.text where new.text is not null;
    end`.execute(db);
}
