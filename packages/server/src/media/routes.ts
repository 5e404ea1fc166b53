import { createReadStream } from 'node:fs';
import multipart from '@fastify/multipart';
import { MediaDownloadQuery, type MediaVariant } from '@kurier/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { type Actor, actorOf, bearerToken } from '../kernel/auth.js';
import { KurierError } from '../kernel/errors.js';
import { parse } from '../kernel/http.js';
import { byteRange, notModified, setFileHeaders } from './download.js';
import type { MediaAccess, MediaService } from './service.js';

interface Options {
  media: MediaService;
  auth: preHandlerHookHandler;
  authenticate: (token: string) => Promise<Actor>;
  maxUploadBytes: number;
  uploadsPerMinute: number;
}

const Params = z.object({ id: z.string().min(1).max(64) });
// Room for the multipart boundaries and part headers around the file itself.
const MULTIPART_OVERHEAD = 64 * 1024;

/** HTTP routes for uploading files and downloading them (with a session or a signed link). */
export async function mediaRoutes(app: FastifyInstance, options: Options) {
  const { media, auth, authenticate, maxUploadBytes, uploadsPerMinute } = options;
  // Registered here, so only these routes parse multipart bodies.
  await app.register(multipart, {
    // One byte over the limit lets the upload's own meter see the excess and refuse the file.
    limits: { fileSize: maxUploadBytes + 1, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
    throwFileSizeLimit: false,
  });

  // Per session where there is one: many staff share one office address.
  const uploadLimit = {
    rateLimit: {
      max: uploadsPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest) => bearerToken(request) ?? request.ip,
    },
  };

  app.post(
    '/api/v1/media',
    { preHandler: auth, config: { ...uploadLimit, contacts: true } },
    async (request, reply) => {
      try {
        // A declared length far over the limit is refused before a byte of the body is read.
        if (Number(request.headers['content-length'] ?? 0) > maxUploadBytes + MULTIPART_OVERHEAD) {
          throw new KurierError('FILE_TOO_LARGE');
        }
        const part = await request.file().catch((err: unknown) => {
          // Busboy's own parse errors (no boundary, broken headers) carry no code: the body is bad.
          throw (err as { code?: unknown }).code ? err : new KurierError('BAD_REQUEST', { cause: err });
        });
        if (part?.fieldname !== 'file') {
          throw new KurierError('VALIDATION_FAILED', { message: 'Send one file in the multipart field "file".' });
        }
        // Browsers escape " CR LF in multipart file names as %22 %0D %0A (WHATWG form-data encoding).
        const name = part.filename.replace(/%(22|0D|0A)/gi, (_, hex: string) =>
          String.fromCharCode(Number.parseInt(hex, 16)),
        );
        const ref = await media.upload(actorOf(request), { stream: part.file, name });
        return reply.status(201).send({ media: ref });
      } catch (err) {
        // The rest of an oversized body is not worth reading: close the connection after answering.
        if (err instanceof KurierError && err.code === 'FILE_TOO_LARGE') void reply.header('connection', 'close');
        throw err;
      }
    },
  );

  app.get('/api/v1/media/:id/url', { preHandler: auth, config: { contacts: true } }, async (request) =>
    media.urls(actorOf(request), parse(Params, request.params).id),
  );

  /** A session (Bearer) or a signed link (`?exp=&sig=`), checked by the service. */
  async function accessOf(request: FastifyRequest): Promise<MediaAccess> {
    const { exp, sig } = parse(MediaDownloadQuery, request.query);
    if (exp !== undefined || sig !== undefined) {
      if (exp === undefined || sig === undefined) throw new KurierError('MEDIA_LINK_INVALID');
      return { link: { exp, sig } };
    }
    const token = bearerToken(request);
    if (!token) throw new KurierError('UNAUTHENTICATED');
    return { actor: await authenticate(token) };
  }

  async function download(request: FastifyRequest, reply: FastifyReply, variant: MediaVariant) {
    const file = await media.open(await accessOf(request), parse(Params, request.params).id, variant);
    let range: ReturnType<typeof byteRange>;
    try {
      range = byteRange(request, file);
    } catch (err) {
      void reply.header('content-range', `bytes */${file.size}`);
      throw err;
    }
    // Only now: an error above is answered as JSON, not under the file's content type.
    setFileHeaders(reply, file);
    if (notModified(request, file)) return reply.status(304).send();
    if (!range) {
      // An explicit end lets the stream finish right after its last bytes instead of one more
      // read later; otherwise a client can have the whole body while the response is still
      // open, and a graceful close that begins then leaves the keep-alive socket behind.
      const whole = file.size > 0 ? { start: 0, end: file.size - 1 } : {};
      return reply.header('content-length', file.size).send(createReadStream(file.path, whole));
    }
    return reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
      .header('content-length', range.end - range.start + 1)
      .send(createReadStream(file.path, range));
  }

  app.get('/api/v1/media/:id', (request, reply) => download(request, reply, 'original'));
  app.get('/api/v1/media/:id/thumbnail', (request, reply) => download(request, reply, 'thumbnail'));
}
