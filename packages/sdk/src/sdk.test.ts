import type { Message } from '@kurier/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createOwner, createUser, newClient, type TestUser, until } from '../../../test/factories.js';
import { startServer, type TestServer } from '../../../test/harness.js';
import { KurierClient } from './client.js';
import { MemoryStorage } from './options.js';

let server: TestServer;
let anna: TestUser;
let ben: TestUser;
let chatId: string;

beforeEach(async () => {
  server = await startServer();
  anna = await createOwner(server, 'anna');
  ben = await createUser(server, anna, 'ben');
  chatId = (await anna.client.createConversation({ kind: 'direct', userId: ben.id })).conversation.id;
});
afterEach(async () => {
  anna.client.close();
  ben.client.close();
  await server.close();
});

describe('SDK outbox and reconnect', () => {
  it('M2 S1: messages written offline wait in the outbox and are sent exactly once on connect', async () => {
    const storage = new MemoryStorage();
    const offline = newClient(server, { token: anna.token, storage });
    const first = offline.send(chatId, 'written offline 1');
    const second = offline.send(chatId, 'written offline 2');
    await until(async () => (await offline.pending()).length === 2, 'two pending entries');
    await offline.connect();
    const [a, b] = await Promise.all([first, second]);
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(await offline.pending()).toEqual([]);
    offline.close();
  });

  it('M2: flushing a long outbox lists the storage once, not once per acknowledged message', async () => {
    // A real storage that counts its key listings (IndexedDB's is a range read of the outbox).
    class CountingStorage extends MemoryStorage {
      listings = 0;
      override keys(prefix: string): Promise<string[]> {
        this.listings++;
        return super.keys(prefix);
      }
    }
    const storage = new CountingStorage();
    const offline = newClient(server, { token: anna.token, storage });
    const sends = Array.from({ length: 300 }, (_, i) => offline.send(chatId, `offline geschrieben ${i}`));
    await until(async () => (await offline.pending()).length === 300, '300 pending entries');
    const before = storage.listings;
    await offline.connect();
    const sent = await Promise.all(sends);
    expect(sent.map((m) => m.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    // The welcome lists the outbox to resend it; the 300 acks delete by key.
    expect(storage.listings - before).toBe(1);
    expect(await offline.pending()).toEqual([]);
    expect(await storage.keys('kurier:outbox:')).toEqual([]);
    offline.close();
  });

  it('M2: an outbox that outlives its client (app reload) is resent once by the next client', async () => {
    const storage = new MemoryStorage();
    const before = newClient(server, { token: anna.token, storage });
    void before.send(chatId, 'survives the reload').catch(() => {});
    await until(async () => (await before.pending()).length === 1, 'pending entry');
    before.close();
    const after = newClient(server, { token: anna.token, storage });
    await after.connect();
    await until(async () => (await after.pending()).length === 0, 'outbox drained');
    const page = await after.history(chatId);
    expect(page.messages.map((m) => m.text)).toEqual(['survives the reload']);
    after.close();
  });

  it('S1: a dropped connection reconnects by itself, catches up and keeps sending', async () => {
    await anna.client.connect();
    const received: Message[] = [];
    ben.client.on('message', (m, { isNew }) => isNew && m.senderId === anna.id && received.push(m));
    await ben.client.connect();
    const states: string[] = [];
    ben.client.on('state', (s) => states.push(s.status));
    ben.client.reconnect();
    const sent: Message[] = [];
    for (let i = 0; i < 10; i++) sent.push(await anna.client.send(chatId, `while reconnecting ${i}`));
    const mine = await ben.client.send(chatId, 'ben after reconnect');
    await until(() => received.length === 10, 'ben got all ten');
    expect(received.map((m) => m.seq)).toEqual(sent.map((m) => m.seq));
    expect(mine.seq).toBe(11);
    expect(states).toContain('connecting');
  });

  it('M12: a client that only sends keeps its cursor at its own newest message; a reconnect repeats nothing', async () => {
    await anna.client.connect();
    const seen: [number, boolean][] = [];
    anna.client.on('message', (m, { isNew }) => seen.push([m.seq, isNew]));
    let synced = 0;
    anna.client.on('synced', () => synced++);
    let last: Message | null = null;
    for (let i = 1; i <= 3; i++) last = await anna.client.send(chatId, `nur gesendet ${i}`);
    expect(anna.client.cursor).toBe(last?.changeId);
    expect(seen).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    anna.client.reconnect();
    await until(() => synced === 1, 'caught up again');
    expect(seen).toHaveLength(3);
  });

  it('M2: messages sent in one tick leave in one write to the socket, not one per message', async () => {
    // The `ws` package, counting the writes that reach its TCP socket.
    let writes = 0;
    class CountingSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        this.once('open', () => {
          const tcp = (this as unknown as { _socket: Record<'_write' | '_writev', (...a: unknown[]) => void> })._socket;
          for (const name of ['_write', '_writev'] as const) {
            const write = tcp[name].bind(tcp);
            tcp[name] = (...args: unknown[]) => {
              writes++;
              write(...args);
            };
          }
        });
      }
    }
    const client = new KurierClient({ baseUrl: server.url, token: anna.token, WebSocket: CountingSocket as never });
    await client.connect();
    const before = writes;
    const sends = Array.from({ length: 10 }, (_, i) => client.send(chatId, `im selben Tick ${i}`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes - before).toBe(1);
    expect((await Promise.all(sends)).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    client.close();
  });

  it('E1: a send the server refuses for good is dropped from the outbox and rejects', async () => {
    const carl = await createUser(server, anna, 'carl');
    await carl.client.connect();
    await expect(carl.client.send(chatId, 'not my chat')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    expect(await carl.client.pending()).toEqual([]);
    carl.client.close();
  });
});

describe('SDK files', () => {
  it('F5 M2: a file message written offline waits in the outbox with its mediaId and goes out once', async () => {
    const media = await anna.client.upload(new TextEncoder().encode('Lieferschein 4711\n'), 'lieferschein.txt');
    const offline = newClient(server, { token: anna.token, storage: new MemoryStorage() });
    const sent = offline.send(chatId, '', { mediaId: media.id });
    await until(async () => (await offline.pending()).length === 1, 'pending entry');
    expect((await offline.pending())[0]).toMatchObject({ mediaId: media.id, text: '' });
    await offline.connect();
    expect(await sent).toMatchObject({ type: 'file', text: null, media });
    expect(await offline.pending()).toEqual([]);
    expect((await offline.history(chatId)).messages).toHaveLength(1);
    offline.close();
  });

  it('F1 F7: upload reports completion, can be aborted, and signed URLs are cached', async () => {
    const bytes = new Uint8Array(300_000); // NUL bytes: not text
    const progress: [number, number][] = [];
    const media = await anna.client.upload(new Blob([bytes]), 'daten.bin', {
      onProgress: (s, t) => progress.push([s, t]),
    });
    expect(media).toMatchObject({ name: 'daten.bin', size: bytes.length, mime: 'application/octet-stream' });
    expect(progress).toEqual([
      [0, bytes.length],
      [bytes.length, bytes.length],
    ]);
    const controller = new AbortController();
    controller.abort();
    await expect(anna.client.upload(bytes, 'nie.bin', { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const url = await anna.client.mediaUrl(media);
    expect(url).toMatch(new RegExp(`^${server.url}/api/v1/media/${media.id}\\?exp=\\d+&sig=`));
    expect(await anna.client.mediaUrl(media.id)).toBe(url);
    const res = await fetch(url);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
    await expect(anna.client.mediaUrl(media, 'thumbnail')).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND' });
    await expect(ben.client.mediaUrl(media)).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND', status: 404 });
  });
});
