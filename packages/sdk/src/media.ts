import type { MediaRef, MediaUrls, MediaVariant, UploadResponse } from '@kurier/protocol';
import { KurierApiError, responseError } from './errors.js';

/** Options of `client.upload`. */
export interface UploadOptions {
  /**
   * Progress in bytes. `fetch` reports none while the body is sent, so this hears `(0, total)`
   * when the upload starts and `(total, total)` once the server has stored the file.
   */
  onProgress?(sent: number, total: number): void;
  /** Aborts the upload; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

interface Context {
  baseUrl: string;
  token: () => string | null;
  request: <TResult>(method: string, path: string) => Promise<TResult>;
}

// Signed links are renewed this long before they expire, so a URL handed out is always usable.
const RENEW_BEFORE_MS = 5 * 60 * 1000;
const MAX_CACHED_LINKS = 1000;

/** Uploads and signed download links; `KurierClient` exposes them as `upload` and `mediaUrl`. */
export class MediaApi {
  readonly #ctx: Context;
  readonly #links = new Map<string, Promise<MediaUrls>>();

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** Uploads one file as multipart/form-data; resolves with the stored file's reference. */
  async upload(file: Blob | Uint8Array, name: string, opts: UploadOptions = {}): Promise<MediaRef> {
    // Copied into a Blob: FormData takes Blobs, and a view over a shared buffer is no BlobPart.
    const blob = file instanceof Blob ? file : new Blob([new Uint8Array(file)]);
    const form = new FormData();
    form.append('file', blob, name);
    const token = this.#ctx.token();
    opts.onProgress?.(0, blob.size);
    let res: Response;
    try {
      res = await fetch(`${this.#ctx.baseUrl}/api/v1/media`, {
        method: 'POST',
        body: form,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw new KurierApiError('NETWORK', err instanceof Error ? err.message : 'network error');
    }
    if (!res.ok) throw await responseError(res);
    const { media } = (await res.json()) as UploadResponse;
    opts.onProgress?.(blob.size, blob.size);
    return media;
  }

  /**
   * An absolute URL of a file (or its thumbnail) that needs no Authorization header, for
   * `<img src>`, `<a href download>` or `window.open`. Links are signed by the server, valid for
   * at least an hour, cached here and renewed before they expire.
   */
  async url(media: Pick<MediaRef, 'id'> | string, variant: MediaVariant = 'original'): Promise<string> {
    const id = typeof media === 'string' ? media : media.id;
    const cached = this.#links.get(id);
    const fresh = cached && (await cached.catch(() => null));
    const urls = fresh && fresh.expiresAt - Date.now() > RENEW_BEFORE_MS ? fresh : await this.#sign(id);
    const path = variant === 'thumbnail' ? urls.thumbnailUrl : urls.url;
    if (!path) throw new KurierApiError('MEDIA_NOT_FOUND', 'This file has no thumbnail.', 404);
    return `${this.#ctx.baseUrl}${path}`;
  }

  #sign(id: string): Promise<MediaUrls> {
    const pending = this.#ctx.request<MediaUrls>('GET', `/api/v1/media/${encodeURIComponent(id)}/url`);
    this.#links.delete(id);
    if (this.#links.size >= MAX_CACHED_LINKS) this.#links.delete(this.#links.keys().next().value as string);
    this.#links.set(id, pending);
    pending.catch(() => {
      if (this.#links.get(id) === pending) this.#links.delete(id);
    });
    return pending;
  }
}
