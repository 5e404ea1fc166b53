import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * SQLite: the full-text index moves to a database file of its own, filled by a thread of its
 * own (messages/search-index.ts), so indexing never holds the main database's write lock.
 * The old index goes; the new one is built in the background from `messages`. Text changes of
 * messages (edits, deletes) are queued in `search_edits` by a trigger, in the same transaction,
 * for the indexer to apply. PostgreSQL keeps its GIN index.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') return;
  await sql`drop trigger if exists messages_fts_update`.execute(db);
  await sql`drop table if exists messages_fts`.execute(db);
  await sql`delete from counters where name = 'fts'`.execute(db);
  await sql`create table search_edits (id integer primary key, pk integer not null)`.execute(db);
  await sql`create trigger messages_search_edit after update of text on messages begin
    insert into search_edits (pk) values (new.pk);
  end`.execute(db);
}
