import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { KurierError } from '../kernel/errors.js';
import { parse } from '../kernel/http.js';
import type { WidgetService } from './widget.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const FrameQuery = z.object({ key: z.string().max(100).optional() });
const SlugParams = z.object({ slug: z.string().min(1).max(40) });

/** The frame's CSP: its own origin only, embeddable by the inbox's sites (all when none are listed). */
function frameCsp(ancestors: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${ancestors.length > 0 ? ancestors.join(' ') : '*'}`,
  ].join('; ');
}

/**
 * Serves the built chat widget: the embed script (`/widget.js`), the frame it opens
 * (`/widget/frame?key=…`, framable only by the inbox's allowed sites) with its hashed assets,
 * and guest links (`/c/<slug>`: the same app as a whole page, not framable at all).
 */
export async function widgetPage(app: FastifyInstance, { widget, dir }: { widget: WidgetService; dir: string }) {
  app.get(
    '/api/v1/widget/slug/:slug',
    { config: { rateLimit: { max: 120, timeWindow: 60_000 } } },
    async (request) => ({
      key: await widget.keyForSlug(parse(SlugParams, request.params).slug),
    }),
  );

  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    app.log.warn({ dir }, 'chat widget not built: run `npm run build:widget` (npm start does it for you)');
    return;
  }
  const html = readFileSync(index, 'utf8');
  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/widget/assets/',
    decorateReply: false,
    index: false,
    cacheControl: false,
    setHeaders: (res) => res.setHeader('cache-control', IMMUTABLE),
  });

  app.get('/widget.js', (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      // Not hashed (sites paste its URL), so browsers revalidate it after a few minutes.
      .header('cache-control', 'public, max-age=300')
      .header('cross-origin-resource-policy', 'cross-origin')
      .send(readFileSync(join(dir, 'widget.js'))),
  );

  app.get('/widget/frame', async (request, reply) => {
    const { key } = parse(FrameQuery, request.query);
    const ancestors = key ? await widget.allowedOrigins(key).catch(() => []) : [];
    reply.removeHeader('x-frame-options');
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', frameCsp(ancestors))
      .send(html);
  });

  app.get('/c/:slug', async (request, reply) => {
    await widget.keyForSlug(parse(SlugParams, request.params).slug).catch((err: unknown) => {
      if (err instanceof KurierError) throw new KurierError('NOT_FOUND');
      throw err;
    });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
  });
}
