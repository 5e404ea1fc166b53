import {
  AgentSettingsRequest,
  AssignRequest,
  CannedReplyRequest,
  CreateInboxRequest,
  InboxQuery,
  LabelsRequest,
  ReportQuery,
  StatusRequest,
  TeamRequest,
  TranscriptQuery,
  TransferRequest,
  UpdateInboxRequest,
} from '@kurier/protocol';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { actorOf } from '../kernel/auth.js';
import { parse, sendDownload } from '../kernel/http.js';
import type { InboxAdminService } from './admin.js';
import type { InboxReports } from './reports.js';
import type { InboxService } from './service.js';
import type { InboxTranscripts } from './transcript.js';

const Params = z.object({ id: z.string().min(1).max(64) });

interface Options {
  inbox: InboxService;
  admin: InboxAdminService;
  reports: InboxReports;
  transcripts: InboxTranscripts;
  auth: preHandlerHookHandler;
}

/** HTTP routes of the team inbox for staff: views, assignment, status, labels, reports, and setup. */
export async function inboxRoutes(app: FastifyInstance, { inbox, admin, reports, transcripts, auth }: Options) {
  app.addHook('preHandler', auth);
  const id = (request: { params: unknown }) => parse(Params, request.params).id;

  app.get('/api/v1/inbox/conversations', async (request) =>
    inbox.view(actorOf(request), parse(InboxQuery, request.query)),
  );
  app.get('/api/v1/inbox/counts', async (request) => inbox.counts(actorOf(request)));
  app.get('/api/v1/inbox/conversations/:id', async (request) => ({
    item: await inbox.get(actorOf(request), id(request)),
  }));
  app.post('/api/v1/inbox/conversations/:id/assign', async (request) => ({
    item: await inbox.assign(actorOf(request), id(request), parse(AssignRequest, request.body)),
  }));
  app.post('/api/v1/inbox/conversations/:id/transfer', async (request) => ({
    item: await inbox.transfer(actorOf(request), id(request), parse(TransferRequest, request.body).teamId),
  }));
  app.post('/api/v1/inbox/conversations/:id/status', async (request) => ({
    item: await inbox.setStatus(actorOf(request), id(request), parse(StatusRequest, request.body)),
  }));
  app.put('/api/v1/inbox/conversations/:id/labels', async (request) => ({
    item: await inbox.setLabels(actorOf(request), id(request), parse(LabelsRequest, request.body).labels),
  }));
  app.post('/api/v1/inbox/conversations/:id/join', async (request) => ({
    item: await inbox.join(actorOf(request), id(request)),
  }));
  app.get('/api/v1/inbox/conversations/:id/transcript', async (request, reply) => {
    const { filename, html } = await transcripts.forStaff(
      actorOf(request),
      id(request),
      parse(TranscriptQuery, request.query),
    );
    return sendDownload(reply, { type: 'text/html', filename }, html);
  });

  app.get('/api/v1/inbox/reports', async (request, reply) => {
    const query = parse(ReportQuery, request.query);
    if (query.format === 'json') return reports.report(actorOf(request), query);
    const csv = await reports.csv(actorOf(request), query);
    return sendDownload(reply, { type: 'text/csv', filename: `kurier-report-${query.from}-${query.to}.csv` }, csv);
  });

  app.get('/api/v1/inboxes', async (request) => ({ inboxes: await admin.listInboxes(actorOf(request)) }));
  app.post('/api/v1/inboxes', async (request, reply) =>
    reply
      .status(201)
      .send({ inbox: await admin.createInbox(actorOf(request), parse(CreateInboxRequest, request.body)) }),
  );
  app.patch('/api/v1/inboxes/:id', async (request) => ({
    inbox: await admin.updateInbox(actorOf(request), id(request), parse(UpdateInboxRequest, request.body)),
  }));

  app.get('/api/v1/teams', async (request) => ({ teams: await admin.listTeams(actorOf(request)) }));
  app.post('/api/v1/teams', async (request, reply) =>
    reply.status(201).send({ team: await admin.createTeam(actorOf(request), parse(TeamRequest, request.body)) }),
  );
  app.put('/api/v1/teams/:id', async (request) => ({
    team: await admin.updateTeam(actorOf(request), id(request), parse(TeamRequest, request.body)),
  }));

  app.get('/api/v1/agents', async (request) => ({ agents: await admin.listAgents(actorOf(request)) }));
  app.patch('/api/v1/agents/:id', async (request, reply) => {
    await admin.setCapacity(actorOf(request), id(request), parse(AgentSettingsRequest, request.body).capacity);
    return reply.status(204).send();
  });

  app.get('/api/v1/canned-replies', async (request) => ({ cannedReplies: await admin.listCanned(actorOf(request)) }));
  app.post('/api/v1/canned-replies', async (request, reply) =>
    reply.status(201).send({
      cannedReply: await admin.createCanned(actorOf(request), parse(CannedReplyRequest, request.body)),
    }),
  );
  app.delete('/api/v1/canned-replies/:id', async (request, reply) => {
    await admin.deleteCanned(actorOf(request), id(request));
    return reply.status(204).send();
  });
}
