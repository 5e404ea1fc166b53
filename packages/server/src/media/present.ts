import type { MediaRef } from '@kurier/protocol';
import type { MediaRow } from './store.js';

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
