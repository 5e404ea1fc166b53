import type { MediaRef, MediaUrls, MediaVariant, UploadResponse } from '@kurier/protocol';
import { KurierApiError, responseError } from './errors.js';

/** Options of `client.upload`. */
export interface UploadOptions {
  /**
   * Progress in bytes. In browsers (XMLHttpRequest) it follows the bytes as they leave; where
   * only `fetch` exists (Node) it hears `(0, total)` at the start and `(total, total)` at the end.
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
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const url = `${this.#ctx.baseUrl}/api/v1/media`;
    opts.onProgress?.(0, blob.size);
    // Browsers report upload progress only through XMLHttpRequest; fetch is for everyone else.
    const res =
      typeof XMLHttpRequest === 'undefined'
        ? await this.#fetch(url, { form, headers, signal: opts.signal })
        : await xhrUpload(url, { form, headers, opts, total: blob.size });
    if (!res.ok) throw await responseError(res);
    const { media } = (await res.json()) as UploadResponse;
    opts.onProgress?.(blob.size, blob.size);
    return media;
  }

  async #fetch(
    url: string,
    { form, headers, signal }: { form: FormData; headers: Record<string, string>; signal: AbortSignal | undefined },
  ): Promise<Response> {
    try {
      return await fetch(url, { method: 'POST', body: form, headers, ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new KurierApiError('NETWORK', err instanceof Error ? err.message : 'network error');
    }
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

/**
 * POST through XMLHttpRequest for its upload progress events; answers as a fetch `Response` so
 * both paths share the error handling. Aborting the signal aborts the request.
 */
function xhrUpload(
  url: string,
  {
    form,
    headers,
    opts,
    total,
  }: { form: FormData; headers: Record<string, string>; opts: UploadOptions; total: number },
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => opts.onProgress?.(Math.min(e.loaded, total), total);
    xhr.onload = () =>
      resolve(
        new Response(xhr.responseText, {
          status: xhr.status,
          headers: { 'content-type': xhr.getResponseHeader('content-type') ?? 'application/json' },
        }),
      );
    xhr.onerror = () => reject(new KurierApiError('NETWORK', 'network error'));
    xhr.onabort = () => reject(opts.signal?.reason ?? new KurierApiError('NETWORK', 'aborted'));
    if (opts.signal?.aborted) {
      reject(opts.signal.reason);
      return;
    }
    opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
