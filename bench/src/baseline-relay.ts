// The baseline: a minimal relay on plain `ws` with the same frame shapes as Kurier and no
// storage, validation or auth beyond a token lookup — the physical limit of this stack here.
// With KURIER_RELAY_DURABLE=1 (`durable-ws`) it also appends every message to a log and acks
// and delivers it only after an fdatasync that covers it, with group commit (one fsync at a
// time, the messages that arrive meanwhile share the next): what durability alone costs here.
import { fdatasync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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

const durable = process.env.KURIER_RELAY_DURABLE === '1';
const log = durable ? openSync(join(process.env.KURIER_DATA_DIR ?? '.', 'relay.log'), 'a') : -1;
let lines: string[] = [];
let waiting: (() => void)[] = [];
let syncing = false;
let kicked = false;

/** Writes what waits and fdatasyncs it; delivers once it is on disk, then the next batch. */
function commit(): void {
  kicked = false;
  if (syncing || waiting.length === 0) return;
  syncing = true;
  const batch = waiting;
  waiting = [];
  writeSync(log, `${lines.join('\n')}\n`);
  lines = [];
  fdatasync(log, () => {
    syncing = false;
    for (const deliver of batch) deliver();
    commit();
  });
}

/** Delivers at once, or (durable) after the line is on disk. */
function deliverWhenDurable(line: string, deliver: () => void): void {
  if (!durable) {
    deliver();
    return;
  }
  lines.push(line);
  waiting.push(deliver);
  if (!kicked) {
    kicked = true;
    // As Kurier's writer does: every frame of this I/O turn joins the batch.
    setImmediate(commit);
  }
}

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
      const json = JSON.stringify(message);
      // As Kurier's wire (rule M12): the sending socket gets the ack in the change's place.
      deliverWhenDurable(json, () => {
        const out = `{"type":"changes","changes":[{"kind":"message","message":${json}}],"cursor":${seq},"live":true,"done":true}`;
        for (const m of members.get(conversationId) ?? []) {
          for (const s of sockets.get(m) ?? []) if (s !== ws) s.send(out);
        }
        ws.send(`{"type":"ack","id":${JSON.stringify(frame.id)},"message":${json},"cursor":${seq}}`);
      });
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
