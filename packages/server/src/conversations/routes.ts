import {
  AddMembersRequest,
  CreateConversationRequest,
  RenameConversationRequest,
  SetMemberRoleRequest,
  UpdateChatPrefsRequest,
} from '@kurier/protocol';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../kernel/auth.js';
import { parse } from '../kernel/http.js';
import type { ConversationsService } from './service.js';

const Params = z.object({ id: z.string().min(1).max(64) });
const MemberParams = Params.extend({ userId: z.string().min(1).max(64) });

/** HTTP routes for conversations and their members. */
export async function conversationsRoutes(
  app: FastifyInstance,
  { conversations, auth }: { conversations: ConversationsService; auth: preHandlerHookHandler },
) {
  app.addHook('preHandler', auth);

  app.get('/api/v1/conversations', async (request) => ({ conversations: await conversations.list(actorOf(request)) }));

  app.post('/api/v1/conversations', async (request, reply) => {
    const detail = await conversations.create(actorOf(request), parse(CreateConversationRequest, request.body));
    return reply.status(201).send(detail);
  });

  app.get('/api/v1/conversations/:id', { config: { contacts: true } }, async (request) =>
    conversations.get(actorOf(request), parse(Params, request.params).id),
  );

  app.patch('/api/v1/conversations/:id', async (request) => {
    const { name } = parse(RenameConversationRequest, request.body);
    return conversations.rename(actorOf(request), parse(Params, request.params).id, name);
  });

  app.patch('/api/v1/conversations/:id/prefs', async (request) => {
    const patch = parse(UpdateChatPrefsRequest, request.body);
    return { prefs: await conversations.setPrefs(actorOf(request), parse(Params, request.params).id, patch) };
  });

  app.post('/api/v1/conversations/:id/members', async (request) => {
    const { userIds } = parse(AddMembersRequest, request.body);
    return conversations.addMembers(actorOf(request), parse(Params, request.params).id, userIds);
  });

  app.patch('/api/v1/conversations/:id/members/:userId', async (request) => {
    const { id, userId } = parse(MemberParams, request.params);
    return conversations.setRole(actorOf(request), id, {
      userId,
      role: parse(SetMemberRoleRequest, request.body).role,
    });
  });

  app.delete('/api/v1/conversations/:id/members/:userId', async (request) => {
    const { id, userId } = parse(MemberParams, request.params);
    return conversations.removeMember(actorOf(request), id, userId);
  });
}
