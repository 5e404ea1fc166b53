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

/**
 * SQLite: an SQL expression for `JSON.stringify(presentMediaRef(row))` of the media row that the
 * column `mediaId` names (SQL null when there is none), so SQLite can serialize a page of
 * messages without a JavaScript object per row. Byte-identical to the presenter above (test S6).
 */
export function mediaRefJsonSql(mediaId: string): string {
  // A subquery's result loses SQLite's JSON subtype: json() gives it back, or it would be quoted.
  return `json((select json_object(
    'id', f.id, 'name', f.name, 'mime', f.mime, 'size', f.size, 'width', f.width, 'height', f.height,
    'pageCount', f.page_count, 'hasThumbnail', json(iif(f.thumbnail_key is null, 'false', 'true'))
  ) from media f where f.id = ${mediaId}))`;
}

/** Files by id, with what a message carries and who uploaded them; read through `db` (or a transaction). */
export async function lookupMedia(
  db: Kysely<DB>,
  ids: readonly string[],
): Promise<Map<string, { ref: MediaRef; uploaderId: string }>> {
  const rows = await mediaStore(db).byIds(ids);
  return new Map(rows.map((row) => [row.id, { ref: presentMediaRef(row), uploaderId: row.uploader_id }]));
}
