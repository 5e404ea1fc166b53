import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '@kurier/protocol';
import { KurierClient } from '@kurier/sdk';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, kurierCommand, ServerProcess } from '../test/server-process.js';

const PASSWORD = 'correct horse battery staple';
const dataDir = mkdtempSync(join(tmpdir(), 'kurier-crash-'));
let server: ServerProcess;

afterAll(async () => {
  await server?.crash();
  rmSync(dataDir, { recursive: true, force: true });
});

function client(url: string): KurierClient {
  return new KurierClient({
    baseUrl: url,
    WebSocket: WebSocket as never,
    backoff: { initialMs: 50, maxMs: 300 },
    receiptDelayMs: 20,
  });
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function allMessages(c: KurierClient, conversationId: string): Promise<Message[]> {
  const out: Message[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await c.history(conversationId, { limit: 200, ...(before ? { before } : {}) });
    out.unshift(...page.messages);
    if (!page.hasMore || page.messages.length === 0) return out;
    before = page.messages[0]?.seq;
  }
}

it('I1 I2 I3 I6: kill -9 while clients send loses no acknowledged message and duplicates none', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  kurierCommand(['owner', 'create', '--username', 'owner'], {
    KURIER_DATA_DIR: dataDir,
    KURIER_OWNER_PASSWORD: PASSWORD,
  });
  server = new ServerProcess(port, {
    KURIER_DATA_DIR: dataDir,
    KURIER_WS_FRAMES_PER_SECOND: '100000',
    KURIER_LOGIN_RATE: '1000',
  });
  await server.start();

  const owner = client(server.url);
  await owner.login('owner', PASSWORD);
  const users = [owner];
  for (const name of ['anna', 'ben', 'carl']) {
    const { token } = await owner.request<{ token: string }>('POST', '/api/v1/invites', {});
    const c = client(server.url);
    await c.acceptInvite({ token, username: name, displayName: name, password: PASSWORD });
    users.push(c);
  }
  const ids = await Promise.all(users.map(async (u) => (await u.me()).id));
  const group = await owner.createConversation({ kind: 'group', name: 'Crash', memberIds: ids.slice(1) });
  const direct = await users[1]?.createConversation({ kind: 'direct', userId: ids[2] as string });
  const conversations = [group.conversation.id, direct?.conversation.id as string];

  // What each client saw as new, to prove nobody sees a duplicate.
  const seenNew = users.map(() => new Map<string, number>());
  for (const [i, u] of users.entries()) {
    u.on('message', (m, { isNew }) => {
      if (isNew) seenNew[i]?.set(m.id, (seenNew[i]?.get(m.id) ?? 0) + 1);
    });
  }
  await Promise.all(users.map((u) => u.connect()));

  const acked = new Map<string, Message>();
  const attempted: string[] = [];
  let sending = true;
  let counter = 0;
  // Each client keeps up to 8 sends in flight until told to stop; every send resolves only after
  // the server's durable commit, across as many reconnects as it takes.
  const loops = users.map(async (u, i) => {
    const targets = i === 1 || i === 2 ? conversations : [conversations[0] as string];
    const inFlight = new Set<Promise<void>>();
    while (sending) {
      while (inFlight.size < 8 && sending) {
        const clientMsgId = `u${i}-${counter++}`;
        attempted.push(clientMsgId);
        const target = targets[counter % targets.length] as string;
        const p: Promise<void> = u.send(target, `message ${clientMsgId}`, { clientMsgId }).then((m) => {
          acked.set(m.id, m);
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      await Promise.race([...inFlight, new Promise((r) => setTimeout(r, 20))]);
    }
    await Promise.all(inFlight);
  });

  for (let crash = 0; crash < 2; crash++) {
    const target = acked.size + 300;
    await until(() => acked.size >= target, `${target} acks`);
    const before = new Map(acked);
    await server.crash();
    await new Promise((r) => setTimeout(r, 200));
    await server.start();
    // Everything acknowledged before the crash must have survived it.
    const survived = new Set<string>();
    for (const id of conversations) for (const m of await allMessages(users[1] as KurierClient, id)) survived.add(m.id);
    for (const id of before.keys()) expect(survived.has(id), `acked message ${id} lost`).toBe(true);
  }
  await until(() => acked.size >= 1500, '1500 acks in total', 60_000);
  sending = false;
  await Promise.all(loops);
  for (const u of users) await until(async () => (await u.pending()).length === 0, 'empty outbox');

  const stored = new Map<string, Message[]>();
  for (const id of conversations) stored.set(id, await allMessages(users[1] as KurierClient, id));
  const all = [...stored.values()].flat().filter((m) => m.type === 'text');
  // Every attempted send exists exactly once; every acknowledged message is among them.
  const byClientId = new Map<string, number>();
  for (const m of all) byClientId.set(m.clientMsgId ?? '', (byClientId.get(m.clientMsgId ?? '') ?? 0) + 1);
  expect([...byClientId.values()].every((n) => n === 1)).toBe(true);
  expect(new Set(byClientId.keys())).toEqual(new Set(attempted));
  const storedIds = new Set(all.map((m) => m.id));
  for (const id of acked.keys()) expect(storedIds.has(id)).toBe(true);
  expect(acked.size).toBe(attempted.length);
  // Seqs per conversation are gapless from 1.
  for (const messages of stored.values()) expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
  // Every client saw each message of its conversations as new exactly once, after the final sync.
  await new Promise((r) => setTimeout(r, 300));
  users.forEach((_, i) => {
    const mine =
      i === 1 || i === 2 ? all : (stored.get(conversations[0] as string) ?? []).filter((m) => m.type === 'text');
    const counts = seenNew[i] as Map<string, number>;
    expect(
      [...counts.values()].every((n) => n === 1),
      `client ${i} saw a duplicate`,
    ).toBe(true);
    for (const m of mine) expect(counts.has(m.id), `client ${i} missed ${m.id}`).toBe(true);
  });
  for (const u of users) u.close();
});
