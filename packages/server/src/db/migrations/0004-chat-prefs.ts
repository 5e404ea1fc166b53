import type { Kysely } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * Chat preferences: one row per user and conversation they pinned, muted or archived. Kept apart
 * from `members` because members (with their receipt watermarks) go to everyone in the
 * conversation, and these are private to one user. A row appears on the first change; no row
 * means "as new".
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('chat_prefs')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('pinned_at', big)
    .addColumn('muted_until', big)
    .addColumn('archived_at', big)
    .addColumn('change_id', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('chat_prefs_pk', ['user_id', 'conversation_id'])
    .execute();
  // Sync reads one user's rows above a cursor.
  await db.schema.createIndex('chat_prefs_user_change').on('chat_prefs').columns(['user_id', 'change_id']).execute();
}
