import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LIMITS, type MediaRef, type MediaUrls, type MediaVariant } from '@kurier/protocol';
import type { Kysely } from 'kysely';
import type { Membership } from '../conversations/membership.js';
import type { DB } from '../db/schema.js';
import type { Actor } from '../kernel/auth.js';
import { KurierError } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Writer } from '../kernel/writer.js';
import { blobStore } from './blobs.js';
import { mediaLinks } from './links.js';
import { lookupMedia, presentMediaRef } from './present.js';
import { probe } from './probe.js';
import { type MediaRow, mediaStore } from './store.js';

interface Deps {
  db: Kysely<DB>;
  writer: Writer;
  dataDir: string;
  membership: Membership;
  /** Conversations with a not deleted message carrying the media (from the messages service). */
  conversationsWithMedia: (mediaId: string) => Promise<readonly string[]>;
  maxUploadBytes: number;
  now?: () => number;
}

/** Who asks for a download: a session's actor, or the holder of a signed link. */
export type MediaAccess = { actor: Actor } | { link: { exp: number; sig: string } };

/** A blob to stream, with what the HTTP edge needs to describe it. */
export interface MediaFile {
  path: string;
  size: number;
  mime: string;
  name: string;
  sha256: string;
}

/**
 * Media: uploads (streamed to disk, hashed, sniffed, content-addressed), who may read them, and
 * signed links for readers without a session. The one place that authorizes media access.
 */
export async function mediaService({
  db,
  writer,
  dataDir,
  membership,
  conversationsWithMedia,
  maxUploadBytes,
  now = Date.now,
}: Deps) {
  const store = mediaStore(db);
  const blobs = blobStore(join(dataDir, 'media'));
  await blobs.init();
  // Deleting the row rotates the key: links handed out before stop working.
  const secret = await store.secret('media-links', () => randomBytes(32).toString('base64url'));
  const links = mediaLinks(Buffer.from(secret, 'base64url'));

  /** The media row, if the actor uploaded it or is in a conversation where it was sent. */
  async function authorize(actor: Actor, id: string): Promise<MediaRow> {
    const row = await store.byId(id);
    if (!row) throw new KurierError('MEDIA_NOT_FOUND');
    if (row.uploader_id === actor.userId) return row;
    for (const conversationId of await conversationsWithMedia(id)) {
      if (await membership.canRead(actor, conversationId)) return row;
    }
    // Not FORBIDDEN: whoever may not read a file does not learn that it exists.
    throw new KurierError('MEDIA_NOT_FOUND');
  }

  /** What is known about these bytes: from an earlier upload of them, or learned now. */
  async function details(sha256: string, tmpPath: string) {
    const known = await store.bySha256(sha256);
    if (known) {
      const { mime, width, height, page_count, thumbnail_key } = known;
      return { mime, width, height, page_count, thumbnail_key };
    }
    const found = await probe(tmpPath);
    const thumbnailKey = found.thumbnail ? await blobs.put(found.thumbnail) : null;
    return {
      mime: found.mime,
      width: found.width,
      height: found.height,
      page_count: found.pageCount,
      thumbnail_key: thumbnailKey,
    };
  }

  return {
    /**
     * Stores one uploaded file and returns its reference. The stream is consumed here; over
     * `maxUploadBytes` it is cut off with FILE_TOO_LARGE. Nothing stays behind on failure.
     */
    async upload(actor: Actor, file: { stream: Readable; name: string | undefined }): Promise<MediaRef> {
      const received = await blobs.receive(file.stream, maxUploadBytes);
      try {
        const learned = await details(received.sha256, received.tmpPath);
        await blobs.place(received.tmpPath, received.sha256);
        const row: MediaRow = {
          id: newId('f'),
          sha256: received.sha256,
          size: received.size,
          name: cleanName(file.name),
          uploader_id: actor.userId,
          created_at: now(),
          ...learned,
        };
        // Through the writer: the upload is answered only once its row is durable, so a send
        // that attaches it right after a crash still finds it.
        await writer.transact(async (trx) => {
          await mediaStore(trx).insert(row);
          return { result: undefined };
        });
        return presentMediaRef(row);
      } finally {
        await blobs.discard(received.tmpPath);
      }
    },

    /**
     * References and uploaders of these media ids, for the send path (pass its transaction)
     * and for presenting messages. Unknown ids are absent from the map.
     */
    async lookup(
      ids: readonly string[],
      trx: Kysely<DB> = db,
    ): Promise<Map<string, { ref: MediaRef; uploaderId: string }>> {
      return lookupMedia(trx, ids);
    },

    /** The blob of one variant, after checking the session's rights or the link's signature. */
    async open(access: MediaAccess, id: string, variant: MediaVariant): Promise<MediaFile> {
      let row: MediaRow | undefined;
      if ('link' in access) {
        // The signature is checked before any lookup: a forged link learns nothing.
        if (!links.verify({ id, variant, ...access.link }, now())) throw new KurierError('MEDIA_LINK_INVALID');
        row = await store.byId(id);
        if (!row) throw new KurierError('MEDIA_NOT_FOUND');
      } else {
        row = await authorize(access.actor, id);
      }
      const sha256 = variant === 'original' ? row.sha256 : row.thumbnail_key;
      if (!sha256) throw new KurierError('MEDIA_NOT_FOUND', { message: 'This file has no thumbnail.' });
      const path = blobs.pathOf(sha256);
      const size = (await stat(path).catch(() => null))?.size;
      if (size === undefined) throw new KurierError('INTERNAL', { message: `media blob ${sha256} is missing` });
      return variant === 'original'
        ? { path, size, mime: row.mime, name: row.name, sha256 }
        : { path, size, mime: 'image/webp', name: `${stem(row.name)}-thumbnail.webp`, sha256 };
    },

    /** Signed paths for `<img src>` and download links; valid for at least an hour. */
    async urls(actor: Actor, id: string): Promise<MediaUrls> {
      const row = await authorize(actor, id);
      const exp = links.expiry(now());
      const url = (variant: MediaVariant) =>
        `/api/v1/media/${encodeURIComponent(id)}${variant === 'thumbnail' ? '/thumbnail' : ''}?exp=${exp}&sig=${links.sign(id, variant, exp)}`;
      return { url: url('original'), thumbnailUrl: row.thumbnail_key ? url('thumbnail') : null, expiresAt: exp };
    },
  };
}

/** The media service contract. */
export type MediaService = Awaited<ReturnType<typeof mediaService>>;

// Control characters and bidi overrides ("invoice\u202Efdp.exe") never reach a file name.
const UNSAFE_NAME_CHARS = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** The file name as shown: no directories, no control characters, at most 255 characters. */
export function cleanName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const clean = Array.from(base.replace(UNSAFE_NAME_CHARS, '').trim()).slice(0, LIMITS.fileNameLength).join('');
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}

function stem(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}
