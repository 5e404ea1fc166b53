import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../index.js';

/** Accounts, conversations, members, messages, reactions and the change counter. */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_seen_at', big)
    .addColumn('disabled_at', big)
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('device_name', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_used_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('revoked_at', big)
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('invites')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('used_at', big)
    .addColumn('used_by', 'text')
    .execute();

  await db.schema
    .createTable('counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', big, (c) => c.notNull())
    .execute();
  await db
    .insertInto('counters' as never)
    .values({ name: 'change', value: 0 } as never)
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('direct_key', 'text', (c) => c.unique())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_seq', big, (c) => c.notNull())
    .addColumn('last_message_at', big)
    .addColumn('change_id', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('conversations_change').on('conversations').column('change_id').execute();

  await db.schema
    .createTable('members')
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('joined_at', big, (c) => c.notNull())
    .addColumn('left_at', big)
    .addColumn('delivered_seq', big, (c) => c.notNull())
    .addColumn('read_seq', big, (c) => c.notNull())
    .addColumn('change_id', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('members_pk', ['conversation_id', 'user_id'])
    .execute();
  await db.schema.createIndex('members_user').on('members').column('user_id').execute();
  await db.schema
    .createIndex('members_conversation_change')
    .on('members')
    .columns(['conversation_id', 'change_id'])
    .execute();

  await db.schema
    .createTable('messages')
    // An integer key the FTS index can point at (SQLite rowid alias); the public id is `id`.
    .addColumn('pk', dialect === 'postgres' ? 'bigint' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey(),
    )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('seq', big, (c) => c.notNull())
    .addColumn('sender_id', 'text', (c) => c.notNull())
    .addColumn('client_msg_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('text', 'text')
    .addColumn('system', 'text')
    .addColumn('reply_to_id', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('edited_at', big)
    .addColumn('deleted_at', big)
    .addColumn('change_id', big, (c) => c.notNull())
    .addUniqueConstraint('messages_conversation_seq', ['conversation_id', 'seq'])
    .addUniqueConstraint('messages_client_msg_sender', ['client_msg_id', 'sender_id'])
    .execute();
  await db.schema
    .createIndex('messages_conversation_change')
    .on('messages')
    .columns(['conversation_id', 'change_id'])
    .execute();

  await db.schema
    .createTable('reactions')
    .addColumn('message_id', 'text', (c) => c.notNull().references('messages.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('emoji', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('reactions_pk', ['message_id', 'user_id', 'emoji'])
    .execute();

  if (dialect === 'postgres') {
    // 'simple' keeps German and English words unstemmed: one index serves both languages.
    await sql`create index messages_fts on messages using gin (to_tsvector('simple', coalesce(text, '')))`.execute(db);
  } else {
    // External-content FTS5 over messages.pk: the index stores no second copy of the text.
    await sql`create virtual table messages_fts using fts5(text, content = 'messages', content_rowid = 'pk', tokenize = 'unicode61 remove_diacritics 2')`.execute(
      db,
    );
    await sql`create trigger messages_fts_insert after insert on messages when new.text is not null begin
      insert into messages_fts (rowid, text) values (new.pk, new.text);
    end`.execute(db);
    await sql`create trigger messages_fts_update after update of text on messages begin
      insert into messages_fts (messages_fts, rowid, text) select 'delete', old.pk, old.text where old.text is not null;
      insert into messages_fts (rowid, text) select new.pk, new.text where new.text is not null;
    end`.execute(db);
  }
}
