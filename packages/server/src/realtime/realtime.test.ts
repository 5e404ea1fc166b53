import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createOwner, createUser, rawSocket, type TestUser } from '../../../../test/factories.js';
import { startServer, type TestServer } from '../../../../test/harness.js';

let server: TestServer;
let anna: TestUser;

beforeEach(async () => {
  server = await startServer({ config: { wsFramesPerSecond: 50 } });
  anna = await createOwner(server, 'anna');
});
afterEach(async () => {
  await server.close();
});

async function alive(socket: Awaited<ReturnType<typeof rawSocket>>): Promise<void> {
  socket.send({ type: 'ping', id: 'alive' });
  // Earlier pings may still have pongs queued; this one is answered after them.
  for (;;) if ((await socket.next('pong')).id === 'alive') return;
}

describe('bad input on the realtime connection', () => {
  it('E2: malformed JSON, unknown frames and wrong types get typed errors; the connection survives', async () => {
    const socket = await rawSocket(server, anna.token);
    socket.send('{"type": "send", ');
    expect(await socket.next('error')).toMatchObject({ code: 'MALFORMED_JSON', id: null });
    socket.send({ type: 'teleport', id: 'q1' });
    expect(await socket.next('error')).toMatchObject({ code: 'UNKNOWN_FRAME', id: 'q1' });
    socket.send({ type: 'send', id: 'q2', conversationId: 42, clientMsgId: 'x', text: 'hi' });
    const typed = await socket.next('error');
    expect(typed).toMatchObject({ code: 'VALIDATION_FAILED', id: 'q2' });
    expect(typed.message).toContain('conversationId');
    socket.send('null');
    expect(await socket.next('error')).toMatchObject({ code: 'UNKNOWN_FRAME' });
    socket.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await socket.next('error')).toMatchObject({ code: 'BAD_REQUEST' });
    await alive(socket);
    socket.ws.close();
  });

  it('E3: a frame over 64 KiB gets FRAME_TOO_LARGE and changes nothing; over 1 MiB the socket closes with 1009', async () => {
    const { conversation } = await anna.client.createConversation({ kind: 'group', name: 'Big', memberIds: [] });
    const socket = await rawSocket(server, anna.token);
    socket.send({
      type: 'send',
      id: 'big',
      conversationId: conversation.id,
      clientMsgId: 'big',
      text: 'x'.repeat(70 * 1024),
    });
    expect(await socket.next('error')).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    await alive(socket);
    const page = await anna.client.history(conversation.id);
    expect(page.messages.filter((m) => m.type === 'text')).toEqual([]);
    socket.ws.send('x'.repeat(1024 * 1024 + 1));
    expect((await socket.closed).code).toBe(1009);
    // The process survives: a new connection works.
    await alive(await rawSocket(server, anna.token));
  });

  it('E4: a flood of frames is rate-limited with RATE_LIMITED; the connection survives and recovers', async () => {
    const socket = await rawSocket(server, anna.token);
    for (let i = 0; i < 400; i++) socket.send({ type: 'ping', id: `p${i}` });
    const error = await socket.next('error');
    expect(error.code).toBe('RATE_LIMITED');
    await new Promise((r) => setTimeout(r, 1200));
    const pongs = socket.frames.filter((f) => f.type === 'pong').length;
    expect(pongs).toBeLessThan(400);
    expect(pongs).toBeGreaterThanOrEqual(90);
    await alive(socket);
    socket.ws.close();
  });

  it('E5: frames before hello get HELLO_REQUIRED; hello afterwards still works', async () => {
    const socket = await rawSocket(server);
    socket.send({ type: 'send', id: 'early', conversationId: 'c_x', clientMsgId: 'x', text: 'hi' });
    expect(await socket.next('error')).toMatchObject({ code: 'HELLO_REQUIRED', id: 'early' });
    socket.send({ type: 'hello', protocolVersion: 1, token: anna.token });
    expect(await socket.next('welcome')).toMatchObject({ userId: anna.id });
    socket.send({ type: 'hello', protocolVersion: 1, token: anna.token });
    expect(await socket.next('error')).toMatchObject({ code: 'CONFLICT' });
    await alive(socket);
    socket.ws.close();
  });

  it('E6: an unknown token closes with 4401, a wrong protocol version with 4426', async () => {
    const bad = await rawSocket(server);
    bad.send({ type: 'hello', protocolVersion: 1, token: 'forged-token' });
    expect(await bad.next('error')).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await bad.closed).code).toBe(4401);
    const old = await rawSocket(server);
    old.send({ type: 'hello', protocolVersion: 0, token: anna.token });
    expect(await old.next('error')).toMatchObject({ code: 'PROTOCOL_VERSION_UNSUPPORTED' });
    expect((await old.closed).code).toBe(4426);
  });

  it('E7: the SDK stops reconnecting when its session is revoked', async () => {
    const ben = await createUser(server, anna, 'ben');
    await ben.client.connect();
    const states: string[] = [];
    ben.client.on('state', (s) => states.push(s.status === 'closed' ? `closed:${s.reason}` : s.status));
    await ben.client.request('POST', '/api/v1/logout-all');
    await new Promise((r) => setTimeout(r, 200));
    expect(states.at(-1)).toBe('closed:unauthenticated');
  });

  it('E8: HTTP errors are JSON with a code, including unknown routes', async () => {
    const res = await fetch(`${server.url}/api/v1/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'Not found.' } });
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
    await new Promise((r) => ws.once('open', r));
    ws.close();
  });

  it('E9: a WebSocket upgrade on any other path is refused with 404; the server keeps serving', async () => {
    const stray = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/ws`);
    const status = await new Promise<number>((resolve, reject) => {
      stray.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      stray.once('open', () => reject(new Error('upgrade accepted')));
      stray.once('error', () => {});
    });
    expect(status).toBe(404);
    const socket = await rawSocket(server, anna.token);
    await alive(socket);
    socket.ws.close();
  });
});

describe('operations endpoints', () => {
  it('O1: /healthz answers JSON and /metrics speaks Prometheus', async () => {
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', database: 'sqlite' });
    const socket = await rawSocket(server, anna.token);
    const ben = await createUser(server, anna, 'ben');
    const chat = await anna.client.createConversation({ kind: 'direct', userId: ben.id });
    socket.send({ type: 'send', id: 's', conversationId: chat.conversation.id, clientMsgId: 'm-1', text: 'Hallo' });
    await socket.next('ack');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/kurier_ws_connections 1/);
    expect(metrics).toMatch(/process_resident_memory_bytes/);
    // Group commit is observable: the send's batch, its transaction time and the fsync.
    expect(metrics).toMatch(/kurier_writer_batch_items_count\{kind="send"\} 1/);
    expect(metrics).toMatch(/kurier_writer_transaction_seconds_count\{kind="send"\} 1/);
    expect(metrics).toMatch(/kurier_writer_fsync_seconds_count [1-9]/);
    // Messages not searchable yet: the background index's backlog (SQLite), at most this send.
    expect(metrics).toMatch(/^kurier_search_index_backlog_messages [01]$/m);
    // The WAL's size and its rewinds (SQLite files): far below the limit here.
    expect(metrics).toMatch(/^kurier_wal_pages \d+$/m);
    expect(metrics).toMatch(/^kurier_wal_rewinds_total 0$/m);
    socket.ws.close();
  });

  it('O2: responses carry security headers', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });
});
