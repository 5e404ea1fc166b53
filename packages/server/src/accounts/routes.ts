import {
  AcceptInviteRequest,
  ChangePasswordRequest,
  CreateInviteRequest,
  LoginRequest,
  SetupRequest,
  UpdateProfileRequest,
} from '@kurier/protocol';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../kernel/auth.js';
import { parse } from '../kernel/http.js';
import type { AccountsService } from './service.js';

interface Options {
  accounts: AccountsService;
  auth: preHandlerHookHandler;
  loginRatePerMinute: number;
}

const IdParams = z.object({ id: z.string().min(1).max(64) });

/** HTTP routes for setup, login, sessions, invites and the profile. */
export async function accountsRoutes(app: FastifyInstance, { accounts, auth, loginRatePerMinute }: Options) {
  // Per client IP here; the accounts service also limits failed logins per username, so one
  // account cannot be guessed at from many addresses either.
  const credentialLimit = { rateLimit: { max: loginRatePerMinute, timeWindow: 60_000 } };

  app.get('/api/v1/setup', async () => ({ needed: (await accounts.setupLink()) !== null }));

  app.post('/api/v1/setup', { config: credentialLimit }, async (request) =>
    accounts.setup(parse(SetupRequest, request.body)),
  );

  app.post('/api/v1/login', { config: credentialLimit }, async (request) =>
    accounts.login(parse(LoginRequest, request.body)),
  );

  app.post('/api/v1/invites/accept', { config: credentialLimit }, async (request) =>
    accounts.acceptInvite(parse(AcceptInviteRequest, request.body)),
  );

  app.post('/api/v1/invites', { preHandler: auth }, async (request) =>
    accounts.createInvite(actorOf(request), parse(CreateInviteRequest, request.body ?? {})),
  );

  app.get('/api/v1/me', { preHandler: auth }, async (request) => ({ user: await accounts.me(actorOf(request)) }));

  app.patch('/api/v1/me', { preHandler: auth }, async (request) => {
    const { displayName } = parse(UpdateProfileRequest, request.body);
    return { user: await accounts.updateProfile(actorOf(request), displayName) };
  });

  app.post('/api/v1/me/password', { preHandler: auth, config: credentialLimit }, async (request, reply) => {
    await accounts.changePassword(actorOf(request), parse(ChangePasswordRequest, request.body));
    return reply.status(204).send();
  });

  app.get('/api/v1/users', { preHandler: auth }, async () => ({ users: await accounts.listUsers() }));

  app.get('/api/v1/sessions', { preHandler: auth }, async (request) => ({
    sessions: await accounts.listSessions(actorOf(request)),
  }));

  app.delete('/api/v1/sessions/:id', { preHandler: auth }, async (request, reply) => {
    const { id } = parse(IdParams, request.params);
    await accounts.revokeSession(actorOf(request), id);
    return reply.status(204).send();
  });

  app.post('/api/v1/logout', { preHandler: auth, config: { contacts: true } }, async (request, reply) => {
    const actor = actorOf(request);
    await accounts.revokeSession(actor, actor.sessionId);
    return reply.status(204).send();
  });

  app.post('/api/v1/logout-all', { preHandler: auth }, async (request, reply) => {
    await accounts.logoutEverywhere(actorOf(request));
    return reply.status(204).send();
  });
}
