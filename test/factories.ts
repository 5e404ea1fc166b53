import type { InboxAdmin, Role, Team, VisitorConversation, VisitorSession } from '@kurier/protocol';
import { KurierClient, type MemoryStorage } from '@kurier/sdk';
import WebSocket from 'ws';
import type { TestServer } from './harness.js';

export const PASSWORD = 'correct horse battery staple';

/** A logged-in SDK client and its user. */
export interface TestUser {
  client: KurierClient;
  id: string;
  username: string;
  token: string;
}

/** An SDK client for a server, with the `ws` WebSocket (Node 20 has no global one). */
export function newClient(server: TestServer, opts: { token?: string; storage?: MemoryStorage } = {}): KurierClient {
  return new KurierClient({
    baseUrl: server.url,
    WebSocket: WebSocket as never,
    backoff: { initialMs: 50, maxMs: 500 },
    receiptDelayMs: 10,
    ...(opts.token ? { token: opts.token } : {}),
    ...(opts.storage ? { storage: opts.storage } : {}),
  });
}

/** Creates the owner through the real setup flow. */
export async function createOwner(server: TestServer, username = 'owner'): Promise<TestUser> {
  const link = await server.kurier.accounts.setupLink();
  if (!link) throw new Error('server already has an owner');
  const token = new URL(link).searchParams.get('token') ?? '';
  const client = newClient(server);
  const res = await client.setup({ token, username, displayName: `Owner ${username}`, password: PASSWORD });
  return { client, id: res.user.id, username, token: res.token };
}

/** Creates a user through a real invite made by `admin`. */
export function createUser(server: TestServer, admin: TestUser, username: string): Promise<TestUser> {
  return createStaff(server, admin, { username, role: 'member' });
}

/** Creates a user with a role (agent, admin …) through a real invite made by `admin`. */
export async function createStaff(
  server: TestServer,
  admin: TestUser,
  { username, role }: { username: string; role: Role },
): Promise<TestUser> {
  const invite = await admin.client.request<{ token: string }>('POST', '/api/v1/invites', { role });
  const client = newClient(server);
  const res = await client.acceptInvite({
    token: invite.token,
    username,
    displayName: username[0]?.toUpperCase() + username.slice(1),
    password: PASSWORD,
  });
  return { client, id: res.user.id, username, token: res.token };
}

/** Logs the same user in again: a second device. */
export async function secondDevice(server: TestServer, user: TestUser): Promise<KurierClient> {
  const client = newClient(server);
  await client.login(user.username, PASSWORD, 'second device');
  return client;
}

/** Waits until `check` returns true, polling; fails with `what` after the timeout. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A raw WebSocket speaking the protocol by hand, for bad-input tests. */
export interface RawSocket {
  ws: WebSocket;
  frames: Record<string, unknown>[];
  /** Resolves with the next frame (after those already consumed) matching `type`. */
  next(type?: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(data: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a raw socket; with a token it also says hello and waits for welcome. */
export async function rawSocket(server: TestServer, token?: string, cursor?: number): Promise<RawSocket> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
  const frames: Record<string, unknown>[] = [];
  let consumed = 0;
  const waiters: (() => void)[] = [];
  ws.on('message', (data, isBinary) => {
    // Browsers hand a binary frame to the app as a Blob, which no Kurier client reads.
    if (isBinary) throw new Error(`the server sent a binary frame: ${String(data).slice(0, 80)}`);
    frames.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const socket: RawSocket = {
    ws,
    frames,
    closed,
    send: (data) => ws.send(typeof data === 'string' ? data : JSON.stringify(data)),
    async next(type, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (consumed < frames.length) {
          const f = frames[consumed++] as Record<string, unknown>;
          if (!type || f.type === type) return f;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${type ?? 'frame'} within ${timeoutMs} ms; got ${JSON.stringify(frames)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
  };
  if (token) {
    socket.send({ type: 'hello', protocolVersion: 1, token, ...(cursor !== undefined ? { cursor } : {}) });
    await socket.next('welcome');
    if (cursor !== undefined) {
      for (;;) {
        const f = await socket.next('changes');
        if (f.done === true && f.live === false) break;
      }
    }
  }
  return socket;
}

/** Two users, Anna (owner) and Ben, in a direct chat, both connected. */
export async function directChat(server: TestServer): Promise<{ anna: TestUser; ben: TestUser; chatId: string }> {
  const anna = await createOwner(server, 'anna');
  const ben = await createUser(server, anna, 'ben');
  const chatId = (await anna.client.createConversation({ kind: 'direct', userId: ben.id })).conversation.id;
  await anna.client.connect();
  await ben.client.connect();
  return { anna, ben, chatId };
}

/** A team of staff, made by an admin. */
export async function createTeam(admin: TestUser, name: string, members: readonly TestUser[]): Promise<Team> {
  const { team } = await admin.client.request<{ team: Team }>('POST', '/api/v1/teams', {
    name,
    memberIds: members.map((m) => m.id),
  });
  return team;
}

/** An inbox served by these teams; settings as given (defaults otherwise). */
export async function createInbox(
  admin: TestUser,
  { name = 'Support', teams = [], settings = {} }: { name?: string; teams?: readonly Team[]; settings?: object } = {},
): Promise<InboxAdmin> {
  const { inbox } = await admin.client.request<{ inbox: InboxAdmin }>('POST', '/api/v1/inboxes', {
    name,
    teamIds: teams.map((t) => t.id),
    settings,
  });
  return inbox;
}

/** A widget visitor: the pre-chat form through the public API, then an SDK client on the token. */
export interface TestVisitor {
  client: KurierClient;
  session: VisitorSession;
  /** Starts a conversation with a first message, as the widget does. */
  start(text: string, clientMsgId?: string): Promise<VisitorConversation>;
}

/** Fills the widget's pre-chat form for an inbox and returns the visitor. */
export async function createVisitor(
  server: TestServer,
  widgetKey: string,
  { name = 'Eva Kundin', email = 'eva@example.com' }: { name?: string; email?: string } = {},
): Promise<TestVisitor> {
  const client = newClient(server);
  const widget = client.widget(widgetKey);
  const session = await widget.startVisitor({ name, email, consent: true, locale: 'de' });
  let n = 0;
  return {
    client,
    session,
    start: (text, clientMsgId = `start-${session.contactId}-${++n}`) => widget.startConversation(text, clientMsgId),
  };
}
