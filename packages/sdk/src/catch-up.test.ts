import type { Message } from '@kurier/protocol';
import { afterEach, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { KurierClient } from './client.js';
import { MemoryStorage } from './options.js';

// A scripted peer: the real server can answer an outbox resend before or between catch-up pages
// (timing-dependent), so this pins that frame order down to test the client's side of S1.
let wss: WebSocketServer | null = null;
afterEach(() => {
  wss?.close();
  wss = null;
});

function message(seq: number, senderId: string, clientMsgId: string | null): Message {
  return {
    id: `m_${seq}`,
    conversationId: 'c_1',
    seq,
    senderId,
    clientMsgId,
    type: 'text',
    text: `#${seq}`,
    system: null,
    media: null,
    replyToId: null,
    createdAt: 0,
    editedAt: null,
    deletedAt: null,
    reactions: [],
    changeId: 100 + seq,
  };
}

it('S1: an ack that overtakes the catch-up neither hides caught-up messages nor counts twice', async () => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss = server;
  const port = await new Promise<number>((resolve) =>
    server.on('listening', () => resolve((server.address() as { port: number }).port)),
  );
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; id?: string; clientMsgId?: string };
      const send = (f: unknown) => ws.send(JSON.stringify(f));
      if (frame.type === 'hello') {
        send({ type: 'welcome', protocolVersion: 1, userId: 'u_me', sessionId: 's', cursor: 121, serverTime: 0 });
      }
      if (frame.type === 'send') {
        // Ack first, then the catch-up in two pages; the own message comes again in page two.
        send({ type: 'ack', id: frame.id, message: message(21, 'u_me', frame.clientMsgId ?? null) });
        const others = Array.from({ length: 10 }, (_, i) => ({
          kind: 'message',
          message: message(11 + i, 'u_other', null),
        }));
        send({ type: 'changes', changes: others.slice(0, 5), cursor: 115, live: false, done: false });
        send({ type: 'changes', changes: others.slice(5), cursor: 120, live: false, done: false });
        send({
          type: 'changes',
          changes: [{ kind: 'message', message: message(21, 'u_me', frame.clientMsgId ?? null) }],
          cursor: 121,
          live: false,
          done: true,
        });
      }
    });
  });

  const storage = new MemoryStorage();
  await storage.set('kurier:cursor', '110');
  await storage.set('kurier:seqs', JSON.stringify({ c_1: 10 }));
  const baseUrl = `http://127.0.0.1:${port}`;
  const offline = new KurierClient({ baseUrl, token: 't', storage, WebSocket: WebSocket as never });
  void offline.send('c_1', 'written offline', { clientMsgId: 'k1' });
  await new Promise((r) => setTimeout(r, 20));

  const client = new KurierClient({
    baseUrl,
    token: 't',
    storage,
    WebSocket: WebSocket as never,
    autoDeliveredReceipts: false,
  });
  const fresh = new Map<number, number>();
  client.on('message', (m, { isNew }) => {
    if (isNew) fresh.set(m.seq, (fresh.get(m.seq) ?? 0) + 1);
  });
  await client.connect();
  await new Promise((r) => setTimeout(r, 100));
  expect([...fresh.keys()].sort((a, b) => a - b)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
  expect([...fresh.values()].every((n) => n === 1)).toBe(true);
  client.close();
});
