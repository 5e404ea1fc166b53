import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@kurier/protocol';
import { type KurierApiError, KurierClient, newClientMsgId } from '@kurier/sdk';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, kurierCommand, ServerProcess } from '../test/server-process.js';

const PASSWORD = 'correct horse battery staple';
/** Sends each client keeps open at once: enough that a kill always lands among unacked ones. */
const IN_FLIGHT = 10;
/** The whole scenario must finish well inside the test timeout, whatever the machine. */
const BUDGET_MS = 55_000;

const dataDir = mkdtempSync(join(tmpdir(), 'kurier-crash-'));
let server: ServerProcess | undefined;
const clients: KurierClient[] = [];

afterAll(async () => {
  // Clients reconnect forever unless closed; the child must never outlive the run.
  for (const c of clients) c.close();
  await server?.crash();
  rmSync(dataDir, { recursive: true, force: true });
});

function client(url: string): KurierClient {
  const c = new KurierClient({
    baseUrl: url,
    WebSocket: WebSocket as never,
    backoff: { initialMs: 50, maxMs: 500 },
    receiptDelayMs: 20,
  });
  clients.push(c);
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

async function until(check: () => boolean | Promise<boolean>, what: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Rejects with `what` if `promise` does not settle before the deadline (a hang fails readably). */
async function within<T>(promise: Promise<T>, what: string, deadline: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A conversation's whole history through REST, oldest first (pages walk backwards by seq). */
async function allMessages(c: KurierClient, conversationId: string): Promise<Message[]> {
  const out: Message[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await c.history(conversationId, { limit: 200, ...(before !== undefined ? { before } : {}) });
    out.unshift(...page.messages);
    if (!page.hasMore || page.messages.length === 0) return out;
    before = page.messages[0]?.seq;
  }
}

it('I1 I2 I3 I6: kill -9 while clients send loses no acknowledged message, duplicates none, and work resumes', {
  timeout: 90_000,
}, async () => {
  const deadline = Date.now() + BUDGET_MS;
  const port = await freePort();
  const env = { KURIER_DATA_DIR: dataDir, KURIER_WS_FRAMES_PER_SECOND: '100000', KURIER_LOGIN_RATE: '1000' };
  kurierCommand(['owner', 'create', '--username', 'owner'], { ...env, KURIER_OWNER_PASSWORD: PASSWORD });
  const proc = new ServerProcess(port, env);
  server = proc;
  await proc.start();

  // Four users: the owner from the CLI, three more through real invites.
  const users = [client(proc.url)];
  await users[0]?.login('owner', PASSWORD);
  for (const name of ['anna', 'ben', 'carl']) {
    const { token } = await (users[0] as KurierClient).request<{ token: string }>('POST', '/api/v1/invites', {});
    const c = client(proc.url);
    await c.acceptInvite({ token, username: name, displayName: name, password: PASSWORD });
    users.push(c);
  }
  const [owner, anna, ben, carl] = users as [KurierClient, KurierClient, KurierClient, KurierClient];
  const ids = await Promise.all(users.map(async (u) => (await u.me()).id));
  const group = (await owner.createConversation({ kind: 'group', name: 'Crash', memberIds: ids.slice(1) })).conversation
    .id;
  const annaBen = (await anna.createConversation({ kind: 'direct', userId: ids[2] as string })).conversation.id;
  const ownerCarl = (await owner.createConversation({ kind: 'direct', userId: ids[3] as string })).conversation.id;
  // Where each user may write and read, and who can read each conversation back over REST.
  const convsOf = [
    [group, ownerCarl],
    [group, annaBen],
    [group, annaBen],
    [group, ownerCarl],
  ];
  const reader = new Map([
    [group, owner],
    [annaBen, ben],
    [ownerCarl, carl],
  ]);

  // What each client was told is new, per message id: I2 means never more than once.
  const seenNew = users.map(() => new Map<string, number>());
  const sdkErrors: string[] = [];
  for (const [i, u] of users.entries()) {
    u.on('message', (m, { isNew }) => {
      const seen = seenNew[i] as Map<string, number>;
      if (isNew) seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
    });
    u.on('error', (e: KurierApiError) => sdkErrors.push(`client ${i}: ${e.code} ${e.message}`));
  }
  await Promise.all(users.map((u) => u.connect()));

  // Every send attempted (by clientMsgId), every ack, every rejection.
  const attempted = new Map<string, { conversationId: string; text: string; sender: number }>();
  const acked = new Map<string, Message>();
  const rejected: string[] = [];
  let sending = true;
  // Each client keeps IN_FLIGHT sends open until told to stop. send() stores the entry in the
  // outbox first and resolves only on the ack of a durable commit, across every reconnect; the
  // SDK resends unacked entries with the same clientMsgId, which the server deduplicates.
  const loops = users.map(async (u, i) => {
    const targets = convsOf[i] as string[];
    const open = new Set<Promise<void>>();
    let n = 0;
    while (sending && Date.now() < deadline) {
      while (open.size < IN_FLIGHT && sending) {
        const clientMsgId = newClientMsgId();
        const conversationId = targets[n % targets.length] as string;
        const text = `u${i} #${n++}`;
        attempted.set(clientMsgId, { conversationId, text, sender: i });
        const p: Promise<void> = u
          .send(conversationId, text, { clientMsgId })
          .then(
            (m) => void acked.set(clientMsgId, m),
            (e: unknown) => void rejected.push(`${clientMsgId}: ${String(e)}`),
          )
          .finally(() => open.delete(p));
        open.add(p);
      }
      await Promise.race([...open, sleep(20)]);
    }
    await Promise.all(open);
  });

  // Kill points at random depths: the first deep in steady sending, the second soon after a
  // restart (while outboxes are being resent), the third in steady sending again.
  const plan = [between(300, 500), between(20, 150), between(200, 400)];
  const where = `crash plan ${JSON.stringify(plan)}`;
  for (const step of plan) {
    const target = acked.size + step;
    await until(() => acked.size >= target, `${target} acks (${where})`, deadline);
    const before = [...acked.values()];
    await proc.crash();
    await sleep(between(0, 300));
    await proc.start();
    // I1: every message acknowledged before the kill is on disk after it.
    const stored = new Set<string>();
    for (const [conversationId, c] of reader) for (const m of await allMessages(c, conversationId)) stored.add(m.id);
    const lost = before.filter((m) => !stored.has(m.id));
    expect(lost, `acked messages lost in a crash (${where})`).toEqual([]);
  }

  // I6: work resumes: the clients reconnect by themselves and keep getting acks.
  const resumed = acked.size + 200;
  await until(() => acked.size >= resumed, `${resumed} acks after the last restart (${where})`, deadline);
  sending = false;
  await within(Promise.all(loops), `every send to settle (${where})`, deadline);
  for (const [i, u] of users.entries())
    await until(async () => (await u.pending()).length === 0, `client ${i}'s outbox to empty`, deadline);
  expect(rejected, where).toEqual([]);
  expect(acked.size).toBe(attempted.size);

  const history = new Map<string, Message[]>();
  for (const [conversationId, c] of reader) history.set(conversationId, await allMessages(c, conversationId));
  const texts = [...history.values()].flat().filter((m) => m.type === 'text');

  // I2: no clientMsgId and no id is stored twice; exactly the attempted sends are stored.
  const byClientMsgId = new Map<string, Message[]>();
  for (const m of texts) byClientMsgId.set(m.clientMsgId ?? '', [...(byClientMsgId.get(m.clientMsgId ?? '') ?? []), m]);
  const duplicated = [...byClientMsgId].filter(([, ms]) => ms.length > 1).map(([id]) => id);
  expect(duplicated, `clientMsgIds stored twice (${where})`).toEqual([]);
  expect(new Set(texts.map((m) => m.id)).size).toBe(texts.length);
  expect(new Set(byClientMsgId.keys())).toEqual(new Set(attempted.keys()));
  // I1: each ack names exactly the stored message, and the stored message is what was sent.
  for (const [clientMsgId, sent] of attempted) {
    const stored = byClientMsgId.get(clientMsgId)?.[0];
    const ack = acked.get(clientMsgId);
    expect(stored, clientMsgId).toMatchObject({
      conversationId: sent.conversationId,
      text: sent.text,
      senderId: ids[sent.sender],
    });
    expect({ id: ack?.id, seq: ack?.seq, conversationId: ack?.conversationId, clientMsgId: ack?.clientMsgId }).toEqual({
      id: stored?.id,
      seq: stored?.seq,
      conversationId: stored?.conversationId,
      clientMsgId,
    });
  }
  // I3: seqs per conversation are gapless from 1, system messages included.
  for (const [conversationId, messages] of history)
    expect(
      messages.map((m) => m.seq),
      conversationId,
    ).toEqual(messages.map((_, i) => i + 1));

  // A final reconnect makes every client catch up from its cursor once more; that must neither
  // repeat anything as new nor leave anything out.
  await Promise.all(
    users.map((u) => {
      const synced = new Promise<void>((resolve) => {
        const off = u.on('synced', () => {
          off();
          resolve();
        });
      });
      u.reconnect();
      return within(synced, 'a final sync', deadline);
    }),
  );
  for (const [i, targets] of convsOf.entries()) {
    const mine = new Set(texts.filter((m) => targets.includes(m.conversationId)).map((m) => m.id));
    const seen = seenNew[i] as Map<string, number>;
    await until(() => [...mine].every((id) => seen.has(id)), `client ${i} to see every message (${where})`, deadline);
    const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    expect(twice, `client ${i} saw messages as new twice (${where})`).toEqual([]);
    const foreign = [...seen.keys()].filter((id) => !mine.has(id));
    expect(foreign, `client ${i} saw messages outside its conversations`).toEqual([]);
  }
  expect(sdkErrors).toEqual([]);
});
