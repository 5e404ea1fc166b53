import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { accountsRoutes } from './accounts/routes.js';
import { type AccountsService, accountsService } from './accounts/service.js';
import type { Config } from './config.js';
import { contactsRoutes } from './contacts/routes.js';
import { type ContactsService, contactsService } from './contacts/service.js';
import { membership } from './conversations/membership.js';
import { conversationsRoutes } from './conversations/routes.js';
import { type ConversationsService, conversationsService } from './conversations/service.js';
import { conversationsStore } from './conversations/store.js';
import { type Database, openDatabase } from './db/index.js';
import { inboxAccess } from './inbox/access.js';
import { inboxAdmin } from './inbox/admin.js';
import { inboxReports } from './inbox/reports.js';
import { inboxRouter } from './inbox/router.js';
import { inboxRoutes } from './inbox/routes.js';
import { type InboxService, inboxService } from './inbox/service.js';
import { inboxTranscripts } from './inbox/transcript.js';
import type { InboxDeps } from './inbox/tx.js';
import { widgetService } from './inbox/widget.js';
import { widgetPage } from './inbox/widget-page.js';
import { widgetRoutes } from './inbox/widget-routes.js';
import { Bus } from './kernel/bus.js';
import { Foreground } from './kernel/foreground.js';
import { keepShortLivedObjectsYoung } from './kernel/gc.js';
import { installHttpKernel } from './kernel/http.js';
import { isContactId } from './kernel/ids.js';
import { serveWebApp } from './kernel/web-app.js';
import { Writer } from './kernel/writer.js';
import { mediaRoutes } from './media/routes.js';
import { type MediaService, mediaService } from './media/service.js';
import { messagesRoutes } from './messages/routes.js';
import { type MessagesService, messagesService } from './messages/service.js';
import { realtimeGateway } from './realtime/gateway.js';
import { Hub } from './realtime/hub.js';
import { syncService } from './sync/service.js';

/** A built (not yet listening) Kurier server and what operations and tests need from it. */
export interface KurierApp {
  app: FastifyInstance;
  database: Database;
  accounts: AccountsService;
  conversations: ConversationsService;
  messages: MessagesService;
  media: MediaService;
  contacts: ContactsService;
  inbox: InboxService;
  /** Resolves once automatic assignment has nothing left to do (tests). */
  routingIdle(): Promise<void>;
  /** Graceful shutdown: stop accepting, finish queued commits, close sockets and the database. */
  close(): Promise<void>;
}

export const VERSION = '0.1.0';

/** Builds the whole server from a config; the only place where parts are wired together. */
export async function buildApp(config: Config): Promise<KurierApp> {
  keepShortLivedObjectsYoung();
  const database = await openDatabase(
    config.databaseUrl ? { postgresUrl: config.databaseUrl } : { sqlitePath: join(config.dataDir, 'kurier.db') },
    {
      procedures: [
        new URL('./messages/thread-procedures.ts', import.meta.url),
        new URL('./sync/thread-procedures.ts', import.meta.url),
      ],
    },
  );
  const { db, dialect } = database;

  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Tokens and passwords never reach the log.
      redact: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.password',
        '*.token',
        '*.currentPassword',
        '*.newPassword',
      ],
    },
    bodyLimit: 1024 * 1024,
    trustProxy: config.trustProxy,
    ...(config.tls ? { https: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } } : {}),
  });

  const publicUrl = () => {
    if (config.publicUrl) return config.publicUrl.replace(/\/$/, '');
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    return `${config.tls ? 'https' : 'http'}://${host}:${port}`;
  };

  const bus = new Bus();
  bus.setMaxListeners(50);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // How well group commit works shows in these: items per batch, and the time each costs.
  const batchItems = new Histogram({
    name: 'kurier_writer_batch_items',
    help: 'Items committed per group-commit batch, by kind',
    labelNames: ['kind'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: 'kurier_writer_transaction_seconds',
    help: 'Duration of a group-commit transaction, by kind',
    labelNames: ['kind'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [registry],
  });
  const syncSeconds = new Histogram({
    name: 'kurier_writer_fsync_seconds',
    help: 'Duration of the fsync that makes commits durable (SQLite)',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [registry],
  });
  if (database.thread) {
    database.thread.onRestart = (err) => app.log.error({ err }, 'the SQLite thread died; a new one took over');
  }
  const writer = new Writer(db, {
    ...(database.sync ? { sync: database.sync } : {}),
    onError: (err) => app.log.error({ err }, 'the writer could not publish or settle a committed change'),
    onBatch: (kind, items, seconds) => {
      batchItems.observe({ kind }, items);
      batchSeconds.observe({ kind }, seconds);
    },
    onSync: (seconds) => syncSeconds.observe(seconds),
  });
  const accounts = accountsService({
    db,
    reads: database.reads,
    bus,
    sessionTtlMs: config.sessionTtlMs,
    failedLoginsPerMinute: config.loginRatePerMinute,
    publicUrl,
  });
  const members = membership(conversationsStore(db), bus);
  // Media and messages need each other (access follows the messages a file was sent in; a send
  // checks the file): the media service asks the messages service through a late-bound call.
  const media = await mediaService({
    db,
    writer,
    dataDir: config.dataDir,
    membership: members,
    conversationsWithMedia: (mediaId) => messages.conversationsWithMedia(mediaId),
    maxUploadBytes: config.maxUploadBytes,
  });
  // Catch-ups under way: the search index yields to them (kernel/foreground.ts).
  const foreground = new Foreground();
  const messages = messagesService({
    db,
    dialect,
    writer,
    bus,
    membership: members,
    media,
    thread: database.thread,
    search: database.files ? { files: database.files } : database.sqlite ? { memory: database.sqlite } : null,
    onBackgroundError: (err) => app.log.error({ err }, 'full-text indexing failed'),
    foreground,
    // The hub comes later; sends begin after the app is built.
    isOnline: (userId) => hub.isOnline(userId),
  });
  const conversations = conversationsService({
    db,
    reads: database.reads,
    writer,
    bus,
    membership: members,
    accounts,
    messages,
  });
  const syncPages = new Counter({
    name: 'kurier_sync_pages_total',
    help: 'Catch-up pages read for reconnecting clients',
    registers: [registry],
  });
  const syncFromMemory = new Counter({
    name: 'kurier_sync_messages_from_memory_total',
    help: 'Catch-up messages whose JSON the SQLite thread kept from their send instead of building it again',
    registers: [registry],
  });
  const sync = syncService({
    db,
    reads: database.reads,
    messages,
    thread: database.thread,
    onPage: (page) => {
      syncPages.inc();
      syncFromMemory.inc(page.fromMemory);
    },
    foreground,
  });
  new Gauge({
    name: 'kurier_sync_catchups_active',
    help: 'Catch-ups of connecting devices under way (background indexing yields to them)',
    registers: [registry],
    collect() {
      this.set(foreground.active);
    },
  });
  const hub = new Hub(bus);
  const isOnline = (userId: string) => hub.isOnline(userId);
  const onInboxError = (err: unknown) => app.log.error({ err }, 'inbox background work failed');

  const contacts = contactsService({ db, writer, accounts, membership: members, bus });
  const access = inboxAccess({ db, accounts, bus });
  members.bindWatchers(access.watchers);
  const inboxDeps: InboxDeps = {
    db,
    bus,
    membership: members,
    conversations,
    messages,
    contacts,
    access,
    now: Date.now,
  };
  const router = inboxRouter({ ...inboxDeps, writer, isOnline, onError: onInboxError, reads: database.reads });
  const inbox = inboxService({ ...inboxDeps, writer, router, onError: onInboxError });
  const inboxSetup = inboxAdmin({ db, bus, accounts, access, isOnline, onRoutingChanged: () => void router.kick() });
  const widget = widgetService({ ...inboxDeps, writer, router, accounts });
  const reports = inboxReports({ db, access, accounts, contacts });
  const transcripts = inboxTranscripts({ db, access, accounts, messages, now: Date.now });

  new Gauge({
    name: 'kurier_ws_connections',
    help: 'Open authenticated WebSocket connections',
    registers: [registry],
    collect() {
      this.set(hub.connectionCount);
    },
  });
  new Gauge({
    name: 'kurier_search_index_backlog_messages',
    help: 'Messages committed but not yet in the full-text index (SQLite indexes in the background)',
    registers: [registry],
    async collect() {
      this.set(await messages.searchBacklog());
    },
  });
  const walStats = database.walStats;
  if (walStats) {
    // A WAL that keeps growing means its rewinds fail: a long reader, or a dead checkpointer.
    new Gauge({
      name: 'kurier_wal_pages',
      help: "Pages in SQLite's write-ahead log at the background checkpointer's last pass",
      registers: [registry],
      collect() {
        this.set(walStats().pages);
      },
    });
    let counted = 0;
    new Counter({
      name: 'kurier_wal_rewinds_total',
      help: 'Times the WAL passed its limit and was copied whole between two batches, to be started over',
      registers: [registry],
      collect() {
        const { rewinds } = walStats();
        this.inc(rewinds - counted);
        counted = rewinds;
      },
    });
  }
  const httpRequests = new Counter({
    name: 'kurier_http_requests_total',
    help: 'HTTP requests by status class',
    labelNames: ['status'],
    registers: [registry],
  });
  app.addHook('onResponse', async (_request, reply) => {
    httpRequests.inc({ status: `${Math.floor(reply.statusCode / 100)}xx` });
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        // Without TLS of our own (plain HTTP on a LAN, or TLS at a proxy) upgrading would send the
        // app's requests to an https:// origin that does not exist.
        upgradeInsecureRequests: config.tls ? [] : null,
      },
    },
    strictTransportSecurity: config.tls !== null,
  });
  // preHandler: the body is parsed by then, so limits can key on the submitted username.
  await app.register(rateLimit, { global: false, hook: 'preHandler' });
  const auth = installHttpKernel(app, (token) => accounts.authenticate(token));

  app.get('/healthz', async () => ({
    status: 'ok',
    version: VERSION,
    database: dialect,
    uptimeSeconds: Math.round(process.uptime()),
  }));
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  await app.register(accountsRoutes, { accounts, auth, loginRatePerMinute: config.loginRatePerMinute });
  await app.register(conversationsRoutes, { conversations, auth });
  await app.register(messagesRoutes, { messages, conversations, auth });
  await app.register(mediaRoutes, {
    media,
    auth,
    authenticate: (token) => accounts.authenticate(token),
    maxUploadBytes: config.maxUploadBytes,
    uploadsPerMinute: config.uploadsPerMinute,
  });
  await app.register(contactsRoutes, { contacts, auth });
  await app.register(inboxRoutes, { inbox, admin: inboxSetup, reports, transcripts, auth });
  await app.register(widgetRoutes, { widget, transcripts, auth, visitorsPerMinute: config.widgetVisitorsPerMinute });
  await app.register(widgetPage, { widget, dir: config.widgetDir });
  await serveWebApp(app, config.webDir);

  let closing: Promise<void> | null = null;
  const onPresence = (userId: string, online: boolean) => {
    // Sockets closed by shutdown are not users going offline; the database may be closing too.
    if (closing) return;
    void (async () => {
      const at = Date.now();
      if (!online) await accounts.setLastSeen(userId, at);
      const peers = await conversations.peersOf(userId);
      bus.emit('deliver', {
        userIds: peers,
        frame: { type: 'presence', userId, online, lastSeenAt: online ? null : at },
      });
      // An agent coming online may take conversations waiting in the queue.
      if (online && !isContactId(userId)) void router.kick();
      if (online) {
        const onlinePeers = peers.filter((p) => hub.isOnline(p));
        for (const peer of onlinePeers) {
          bus.emit('deliver', {
            userIds: [userId],
            frame: { type: 'presence', userId: peer, online: true, lastSeenAt: null },
          });
        }
      }
    })().catch((err: unknown) => app.log.warn({ err }, 'presence update failed'));
  };
  // The search index catches up with what was committed while no server ran, and its thread
  // starts with the server instead of with the first message, where its startup (~0.6 s of CPU
  // on a second thread) competed with the first users' requests (docs/benchmarks.md, offline
  // delivery). Commands that never listen (`kurier owner create`) never start it.
  app.addHook('onListen', async () => messages.startIndexing());
  const gateway = realtimeGateway(app, {
    accounts,
    conversations,
    messages,
    sync,
    hub,
    bus,
    framesPerSecond: config.wsFramesPerSecond,
    onPresence,
  });

  return {
    app,
    database,
    accounts,
    conversations,
    messages,
    media,
    contacts,
    inbox,
    routingIdle: () => router.idle(),
    close() {
      closing ??= (async () => {
        const indexing = messages.stop();
        inbox.stop();
        await router.idle();
        // Acknowledge what is already queued before the sockets go, so few clients must retry.
        await writer.drain();
        gateway.shutdown();
        await app.close();
        await writer.drain();
        await indexing;
        await database.close();
      })();
      return closing;
    },
  };
}
