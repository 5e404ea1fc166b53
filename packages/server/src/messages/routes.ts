import { HistoryQuery, SearchQuery, SendMessageRequest } from '@kurier/protocol';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { ConversationsService } from '../conversations/service.js';
import { actorOf } from '../kernel/auth.js';
import { parse } from '../kernel/http.js';
import type { MessagesService } from './service.js';

const Params = z.object({ id: z.string().min(1).max(64) });

interface Options {
  messages: MessagesService;
  conversations: ConversationsService;
  auth: preHandlerHookHandler;
}

/** HTTP routes for history, search and the REST twin of `send`. */
export async function messagesRoutes(app: FastifyInstance, { messages, conversations, auth }: Options) {
  app.addHook('preHandler', auth);

  app.get('/api/v1/conversations/:id/messages', { config: { contacts: true } }, async (request) => {
    const { before, limit } = parse(HistoryQuery, request.query);
    return messages.history(actorOf(request), parse(Params, request.params).id, { before, limit });
  });

  app.post('/api/v1/conversations/:id/messages', { config: { contacts: true } }, async (request, reply) => {
    const body = parse(SendMessageRequest, request.body);
    const message = await messages.send(actorOf(request), {
      conversationId: parse(Params, request.params).id,
      ...body,
    });
    return reply.status(201).send({ message });
  });

  app.get('/api/v1/search', async (request) => {
    const actor = actorOf(request);
    const { q, conversationId, limit } = parse(SearchQuery, request.query);
    const scope = await conversations.idsFor(actor.userId);
    const ids = conversationId ? scope.filter((id) => id === conversationId) : scope;
    if (conversationId && ids.length === 0) await conversations.get(actor, conversationId);
    return messages.search({ query: q, conversationIds: ids, limit });
  });
}
