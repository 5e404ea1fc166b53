import { Readable } from 'node:stream';
import { CONTACT_IMPORT_LIMITS, ContactListQuery, MergeContactRequest, UpdateContactRequest } from '@kurier/protocol';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../kernel/auth.js';
import { KurierError } from '../kernel/errors.js';
import { parse, sendDownload } from '../kernel/http.js';
import type { ContactsService } from './service.js';

const Params = z.object({ id: z.string().min(1).max(64) });

/** HTTP routes for staff to list, read, edit, merge, import and export contacts. */
export async function contactsRoutes(
  app: FastifyInstance,
  { contacts, auth }: { contacts: ContactsService; auth: preHandlerHookHandler },
) {
  app.addHook('preHandler', auth);
  // Only this plugin reads CSV bodies, and only up to the import's limit.
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: CONTACT_IMPORT_LIMITS.bytes },
    (_request, body, done) => done(null, body),
  );

  app.get('/api/v1/contacts', async (request) =>
    contacts.list(actorOf(request), parse(ContactListQuery, request.query)),
  );

  app.get('/api/v1/contacts/export.csv', async (request, reply) => {
    const lines = contacts.exportCsv(actorOf(request));
    const day = new Date().toISOString().slice(0, 10);
    return sendDownload(reply, { type: 'text/csv', filename: `contacts-${day}.csv` }, Readable.from(lines));
  });

  app.post('/api/v1/contacts/import', { bodyLimit: CONTACT_IMPORT_LIMITS.bytes }, async (request) => {
    if (typeof request.body !== 'string')
      throw new KurierError('UNSUPPORTED_MEDIA_TYPE', { message: 'Send the contacts as text/csv.' });
    return contacts.importCsv(actorOf(request), request.body);
  });

  app.get('/api/v1/contacts/:id', async (request) => contacts.get(actorOf(request), parse(Params, request.params).id));

  app.patch('/api/v1/contacts/:id', async (request) =>
    contacts.update(actorOf(request), parse(Params, request.params).id, parse(UpdateContactRequest, request.body)),
  );

  app.post('/api/v1/contacts/:id/merge', async (request) =>
    contacts.merge(actorOf(request), parse(Params, request.params).id, parse(MergeContactRequest, request.body)),
  );
}
