import type { FastifyReply, FastifyRequest } from 'fastify';
import { KurierError } from '../kernel/errors.js';
import type { MediaFile } from './service.js';

/** Types a browser may render in place; everything else is only ever downloaded. */
const INLINE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf']);

/**
 * Sets the headers of a media response. Uploaded bytes are untrusted: `nosniff` plus an
 * `attachment` disposition for all but a few passive types keep HTML, SVG or XML from running
 * on our origin, and a sandboxing CSP covers whatever a browser opens anyway. PDFs keep the
 * app-wide CSP instead: Chromium's PDF viewer does not run inside a CSP sandbox.
 */
export function setFileHeaders(reply: FastifyReply, file: MediaFile): void {
  const inline = INLINE_TYPES.has(file.mime);
  void reply
    .header('content-type', file.mime === 'text/plain' ? 'text/plain; charset=utf-8' : file.mime)
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', contentDisposition(file.name, inline))
    .header('cache-control', 'private, max-age=3600')
    .header('etag', `"${file.sha256}"`)
    .header('accept-ranges', 'bytes');
  if (file.mime !== 'application/pdf') void reply.header('content-security-policy', "default-src 'none'; sandbox");
}

/** `inline` or `attachment`, with an ASCII fallback name and the exact name per RFC 5987/6266. */
export function contentDisposition(name: string, inline: boolean): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  // encodeURIComponent leaves ' ( ) * unescaped, which RFC 5987's attr-char does not allow.
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${exact}`;
}

/** True when the client's cached copy (If-None-Match) is this file. */
export function notModified(request: FastifyRequest, file: MediaFile): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === `"${file.sha256}"`);
}

/**
 * The one byte range to send, from a `Range` header; null means the whole file. Multiple ranges
 * are answered with the whole file (allowed by RFC 9110), an unsatisfiable one with 416.
 */
export function byteRange(request: FastifyRequest, file: MediaFile): { start: number; end: number } | null {
  const header = request.headers.range;
  if (!header) return null;
  // A range against an older version of the file is ignored: the whole current file is sent.
  const ifRange = request.headers['if-range'];
  if (ifRange && ifRange !== `"${file.sha256}"`) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  const [first, last] = [match[1] as string, match[2] as string];
  const size = file.size;
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || start > end || (first === '' && Number(last) === 0)) {
    throw new KurierError('RANGE_NOT_SATISFIABLE', { details: { size } });
  }
  return { start, end };
}
