import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Paths the web app routes itself (history API). They answer its `index.html`; every other
 * unknown path keeps answering the JSON 404 of the error catalogue, so API typos stay visible.
 * `/c/…` is kept free for guest chat links.
 */
const APP_ROUTES = ['/', '/login', '/setup', '/invite', '/settings', '/chats/*', '/inbox', '/inbox/*'];
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Serves the built web app from `dir` when it exists. Hashed assets are cached for a year;
 * `index.html` and the service worker are revalidated on every load so a deploy reaches every
 * browser on its next visit.
 */
export async function serveWebApp(app: FastifyInstance, dir: string): Promise<{ available: boolean }> {
  const available = existsSync(join(dir, 'index.html'));
  if (!available) {
    app.log.warn({ dir }, 'web app not built: run `npm run build:web` (npm start does it for you)');
    return { available };
  }
  await app.register(fastifyStatic, {
    root: dir,
    index: false,
    wildcard: false,
    // Caching is decided here, per file: content hashes make the assets immutable.
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader('cache-control', path.includes('/assets/') ? IMMUTABLE : 'no-cache');
    },
  });
  for (const route of APP_ROUTES) {
    app.get(route, (_request, reply) => reply.sendFile('index.html'));
  }
  return { available };
}
