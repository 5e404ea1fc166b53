import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../index.js';

/**
 * Media: one row per upload (content-addressed blobs in `<dataDir>/media` may be shared by many
 * rows), `messages.media_id` for file messages, and `secrets` with the key that signs media links.
 * The key lives in the database, not the data dir, so every process of a scaled-out install signs
 * and checks links alike.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('mime', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('uploader_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('page_count', 'integer')
    .addColumn('thumbnail_key', 'text')
    .execute();
  // A second upload of known bytes reuses the blob and what was learned from it (type, thumbnail).
  await db.schema.createIndex('media_sha256').on('media').column('sha256').execute();

  await db.schema
    .alterTable('messages')
    .addColumn('media_id', 'text', (c) => c.references('media.id'))
    .execute();
  // Partial: text messages (media_id null) add nothing to this index on the send path.
  await db.schema
    .createIndex('messages_media')
    .on('messages')
    .column('media_id')
    .where(sql<boolean>`media_id is not null`)
    .execute();

  await db.schema
    .createTable('secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await db
    .insertInto('secrets' as never)
    .values({ name: 'media-links', value: randomBytes(32).toString('base64url') } as never)
    .execute();
}
