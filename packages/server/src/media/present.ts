import type { MediaRef } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { type MediaRow, mediaStore } from './store.js';

/** Media row → the reference messages carry. The sha256 and the uploader stay server-side. */
export function presentMediaRef(row: MediaRow): MediaRef {
  return {
    id: row.id,
    name: row.name,
    mime: row.mime,
    size: row.size,
    width: row.width,
    height: row.height,
    pageCount: row.page_count,
    hasThumbnail: row.thumbnail_key !== null,
  };
}

/** Files by id, with what a message carries and who uploaded them; read through `db` (or a transaction). */
export async function lookupMedia(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, { ref: MediaRef; uploaderId: string }>> {
  const rows = await mediaStore(db).byIds(ids);
  return new Map(rows.map((row) => [row.id, { ref: presentMediaRef(row), uploaderId: row.uploader_id }]));
}
