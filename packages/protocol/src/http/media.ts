import { z } from 'zod';
import { Timestamp } from '../ids.js';
import { MediaRef } from '../models.js';

/** The two stored forms of a media item: the original bytes and (images only) a WebP thumbnail. */
export const MediaVariant = z.enum(['original', 'thumbnail']);
/** A stored form of a media item. */
export type MediaVariant = z.infer<typeof MediaVariant>;

/**
 * Answer to `POST /api/v1/media` (multipart, one file in the field `file`): the stored file.
 *
 * @example
 * const form = new FormData();
 * form.append('file', blob, 'offer.pdf');
 * const { media } = UploadResponse.parse(await (await fetch('/api/v1/media', { method: 'POST', body: form, headers })).json());
 */
export const UploadResponse = z.object({ media: MediaRef });
/** Answer to `POST /api/v1/media`. */
export type UploadResponse = z.infer<typeof UploadResponse>;

/**
 * Answer to `GET /api/v1/media/:id/url`: signed paths (relative to the server origin) that work
 * without an `Authorization` header, e.g. in `<img src>`, until `expiresAt` (epoch ms).
 *
 * @example
 * // <img src={origin + urls.thumbnailUrl}> and <a href={origin + urls.url} download={media.name}>
 */
export const MediaUrls = z.object({
  url: z.string(),
  thumbnailUrl: z.string().nullable(),
  expiresAt: Timestamp,
});
/** Signed download paths for one media item. */
export type MediaUrls = z.infer<typeof MediaUrls>;

/** Query of `GET /api/v1/media/:id[/thumbnail]`: both or neither of `exp` and `sig`. */
export const MediaDownloadQuery = z.object({
  exp: z.coerce.number().int().nonnegative().optional(),
  sig: z.string().min(1).max(128).optional(),
});
