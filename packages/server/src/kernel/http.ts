import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { z } from 'zod';
import { type Actor, bearerToken } from './auth.js';
import { errorBody, KurierError, toKurierError } from './errors.js';
import { containsNul, NUL_MESSAGE } from './input.js';

/** Validates a value against a protocol schema; throws VALIDATION_FAILED with the issues. */
export function parse<TSchema extends z.ZodType>(schema: TSchema, value: unknown): z.output<TSchema> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new KurierError('VALIDATION_FAILED', {
      details: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return result.data;
}

// Fastify's own failures (body parsing, limits) mapped onto our catalogue.
const FASTIFY_CODES: Record<string, KurierError['code']> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  // @fastify/multipart
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_REQ_FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  FST_FILES_LIMIT: 'BAD_REQUEST',
  FST_PARTS_LIMIT: 'BAD_REQUEST',
  FST_FIELDS_LIMIT: 'BAD_REQUEST',
  FST_PROTO_VIOLATION: 'BAD_REQUEST',
};

function fromFastify(err: FastifyError): KurierError {
  if (err instanceof KurierError) return err;
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) return new KurierError(mapped);
  if (err.statusCode === 429) return new KurierError('RATE_LIMITED');
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new KurierError('BAD_REQUEST', { message: err.message });
  }
  return toKurierError(err);
}

/**
 * Answers with a file to save (transcripts, CSV exports): never cached, never shown inline. The
 * file name must be plain ASCII made by the server.
 */
export function sendDownload(
  reply: FastifyReply,
  { type, filename }: { type: string; filename: string },
  body: string | NodeJS.ReadableStream,
): FastifyReply {
  return reply
    .type(`${type}; charset=utf-8`)
    .header('cache-control', 'no-store')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(body);
}

/** Installs the single HTTP error path and the auth hook; returns the `auth` preHandler. */
export function installHttpKernel(
  app: FastifyInstance,
  authenticate: (token: string) => Promise<Actor>,
): preHandlerHookHandler {
  app.decorateRequest('actor', null);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const err = fromFastify(error);
    if (err.code === 'INTERNAL') request.log.error({ err: error }, 'unhandled error');
    void reply.status(err.status).send(errorBody(err));
  });

  // Before any route sees them: a body, query or path with a NUL is refused (kernel/input.ts).
  app.addHook('preValidation', async (request) => {
    if (containsNul(request.body) || containsNul(request.query) || containsNul(request.params)) {
      throw new KurierError('VALIDATION_FAILED', { message: NUL_MESSAGE });
    }
  });

  app.setNotFoundHandler((_request, reply) => {
    void reply.status(404).send(errorBody(new KurierError('NOT_FOUND')));
  });

  return async function auth(request: FastifyRequest) {
    const token = bearerToken(request);
    if (!token) throw new KurierError('UNAUTHENTICATED');
    const actor = await authenticate(token);
    // Customers' sessions are deny-by-default: only routes that opt in serve them, so a new
    // staff route can never leak to a widget visitor by omission.
    if (actor.role === 'contact' && request.routeOptions.config.contacts !== true) {
      throw new KurierError('FORBIDDEN', { message: 'Customer sessions can only use their own conversations.' });
    }
    request.actor = actor;
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route serves customers' (contact) sessions too; every other authenticated route refuses them. */
    contacts?: boolean;
  }
}
