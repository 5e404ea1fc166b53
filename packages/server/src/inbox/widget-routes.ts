import { CsatRequest, StartConversationRequest, StartVisitorRequest, TranscriptQuery } from '@kurier/protocol';
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { actorOf, bearerToken } from '../kernel/auth.js';
import { parse, sendDownload } from '../kernel/http.js';
import type { InboxTranscripts } from './transcript.js';
import type { WidgetService } from './widget.js';

const KeyParams = z.object({ key: z.string().min(1).max(100) });
const ConversationParams = KeyParams.extend({ id: z.string().min(1).max(64) });

// The widget's forms are small; a public endpoint should not parse megabytes for anyone.
const WIDGET_BODY_LIMIT = 16 * 1024;

interface Options {
  widget: WidgetService;
  transcripts: InboxTranscripts;
  auth: preHandlerHookHandler;
  /** Pre-chat forms per client address and minute. */
  visitorsPerMinute: number;
}

/**
 * The public HTTP routes the widget and guest links call. Anyone may reach them, so every one
 * has a rate limit: per client address before a visitor exists, per visitor after.
 */
export async function widgetRoutes(app: FastifyInstance, { widget, transcripts, auth, visitorsPerMinute }: Options) {
  const perIp = (max: number) => ({ rateLimit: { max, timeWindow: 60_000 } });
  const perVisitor = (max: number, timeWindow: number) => ({
    contacts: true,
    rateLimit: { max, timeWindow, keyGenerator: (r: FastifyRequest) => bearerToken(r) ?? r.ip },
  });

  app.get('/api/v1/widget/:key', { config: perIp(120) }, async (request) => ({
    config: await widget.config(parse(KeyParams, request.params).key),
  }));

  app.post(
    '/api/v1/widget/:key/visitors',
    { config: perIp(visitorsPerMinute), bodyLimit: WIDGET_BODY_LIMIT },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await widget.startVisitor(parse(KeyParams, request.params).key, parse(StartVisitorRequest, request.body)),
        ),
  );

  app.get(
    '/api/v1/widget/:key/conversations',
    { preHandler: auth, config: perVisitor(120, 60_000) },
    async (request) => ({
      conversations: await widget.list(actorOf(request), parse(KeyParams, request.params).key),
    }),
  );

  app.post(
    '/api/v1/widget/:key/conversations',
    { preHandler: auth, config: perVisitor(20, 3_600_000), bodyLimit: WIDGET_BODY_LIMIT },
    async (request, reply) =>
      reply.status(201).send({
        conversation: await widget.startConversation(
          actorOf(request),
          parse(KeyParams, request.params).key,
          parse(StartConversationRequest, request.body),
        ),
      }),
  );

  app.post(
    '/api/v1/widget/:key/conversations/:id/csat',
    { preHandler: auth, config: perVisitor(10, 60_000), bodyLimit: WIDGET_BODY_LIMIT },
    async (request) => {
      const { key, id } = parse(ConversationParams, request.params);
      return {
        conversation: await widget.csat(
          actorOf(request),
          { key, conversationId: id },
          parse(CsatRequest, request.body),
        ),
      };
    },
  );

  app.get(
    '/api/v1/widget/:key/conversations/:id/transcript',
    { preHandler: auth, config: perVisitor(30, 60_000) },
    async (request, reply) => {
      const { key, id } = parse(ConversationParams, request.params);
      const { filename, html } = await transcripts.forCustomer(
        actorOf(request),
        { key, conversationId: id },
        parse(TranscriptQuery, request.query),
      );
      return sendDownload(reply, { type: 'text/html', filename }, html);
    },
  );
}
