import { ContactListQuery, UpdateContactRequest } from '@kurier/protocol';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../kernel/auth.js';
import { parse } from '../kernel/http.js';
import type { ContactsService } from './service.js';

const Params = z.object({ id: z.string().min(1).max(64) });

/** HTTP routes for staff to list, read and edit contacts. */
export async function contactsRoutes(
  app: FastifyInstance,
  { contacts, auth }: { contacts: ContactsService; auth: preHandlerHookHandler },
) {
  app.addHook('preHandler', auth);

  app.get('/api/v1/contacts', async (request) =>
    contacts.list(actorOf(request), parse(ContactListQuery, request.query)),
  );

  app.get('/api/v1/contacts/:id', async (request) => contacts.get(actorOf(request), parse(Params, request.params).id));

  app.patch('/api/v1/contacts/:id', async (request) =>
    contacts.update(actorOf(request), parse(Params, request.params).id, parse(UpdateContactRequest, request.body)),
  );
}
