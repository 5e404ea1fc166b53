// The baseline: a minimal relay on plain `ws` with the same frame shapes as Kurier and no
// storage, validation or auth beyond a token lookup — the physical limit of this stack here.
import { type WebSocket, WebSocketServer } from 'ws';
import type { ChildMessage, Provisioned, ProvisionRequest } from './protocol.js';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const send = (m: ChildMessage) => process.send?.(m);
const tokens = new Map<string, number>();
const members = new Map<string, number[]>();
const sockets = new Map<number, Set<WebSocket>>();
const seqs = new Map<string, number>();
let users = 0;
let conversations = 0;

wss.on('listening', () => {
  const address = wss.address();
  send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});

wss.on('connection', (ws) => {
  let user = -1;
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Record<string, string>;
    if (frame.type === 'hello') {
      user = tokens.get(frame.token as string) ?? -1;
      if (user < 0) return ws.close(4401);
      const set = sockets.get(user) ?? new Set<WebSocket>();
      sockets.set(user, set);
      set.add(ws);
      ws.send(
        JSON.stringify({
          type: 'welcome',
          protocolVersion: 1,
          userId: `u${user}`,
          sessionId: 's',
          cursor: 0,
          serverTime: Date.now(),
        }),
      );
      return;
    }
    if (frame.type === 'send') {
      const conversationId = frame.conversationId as string;
      const seq = (seqs.get(conversationId) ?? 0) + 1;
      seqs.set(conversationId, seq);
      const message = {
        id: `m${conversationId}-${seq}`,
        conversationId,
        seq,
        senderId: `u${user}`,
        clientMsgId: frame.clientMsgId,
        type: 'text',
        text: frame.text,
      };
      ws.send(JSON.stringify({ type: 'ack', id: frame.id, message }));
      const out = JSON.stringify({
        type: 'changes',
        changes: [{ kind: 'message', message }],
        cursor: seq,
        live: true,
        done: true,
      });
      for (const m of members.get(conversationId) ?? []) for (const s of sockets.get(m) ?? []) s.send(out);
    }
  });
  ws.on('close', () => sockets.get(user)?.delete(ws));
});

function provision(req: ProvisionRequest): Provisioned {
  const base = users;
  users += req.users;
  const result: Provisioned = { tokens: [], conversationIds: [] };
  for (let u = 0; u < req.users; u++) {
    const devices: string[] = [];
    for (let d = 0; d < req.devicesPerUser; d++) {
      const token = `t${base + u}-${d}`;
      tokens.set(token, base + u);
      devices.push(token);
    }
    result.tokens.push(devices);
  }
  for (const c of req.conversations) {
    const id = `c${conversations++}`;
    members.set(
      id,
      c.members.map((i) => base + i),
    );
    result.conversationIds.push(id);
  }
  return result;
}

process.on('message', (m: { type: 'provision'; request: ProvisionRequest } | { type: 'gc' }) => {
  if (m.type === 'provision') send({ type: 'provisioned', result: provision(m.request) });
  if (m.type === 'gc') {
    globalThis.gc?.();
    const { heapUsed, heapTotal } = process.memoryUsage();
    send({ type: 'gc-done', heapUsed, heapTotal });
  }
});
process.on('disconnect', () => process.exit(0));
