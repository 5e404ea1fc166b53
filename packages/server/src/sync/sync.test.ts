import { join } from 'node:path';
import type { Member, Message } from '@kurier/protocol';
import { MemoryStorage } from '@kurier/sdk';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { directChat, newClient, rawSocket, secondDevice, type TestUser, until } from '../../../../test/factories.js';
import { noisePng } from '../../../../test/files.js';
import { DIALECTS, dialectAvailable, startServer, type TestServer } from '../../../../test/harness.js';
import { catchUpFrame, syncService } from './service.js';
import { CATCH_UP_MESSAGE_STATEMENTS } from './store-sqlite.js';

describe.each(DIALECTS)('sync on %s', (dialect) => {
  let server: TestServer;
  let anna: TestUser;
  let ben: TestUser;
  let chatId: string;

  beforeEach(async (ctx) => {
    if (!dialectAvailable(dialect)) return ctx.skip();
    server = await startServer({ dialect });
    ({ anna, ben, chatId } = await directChat(server));
    // Most sync tests start with Ben away.
    ben.client.close();
  });

  /** The server's sync service as the app builds it (on SQLite, with its thread). */
  const serverSync = () =>
    syncService({
      db: server.kurier.database.db,
      messages: server.kurier.messages,
      thread: server.kurier.database.thread,
    });

  afterEach(async () => {
    anna?.client.close();
    ben?.client.close();
    await server?.close();
  });

  it('S1: a client reconnecting with its cursor receives exactly what it missed, in order', async () => {
    const storage = new MemoryStorage();
    const benA = newClient(server, { token: ben.token, storage });
    const before: Message[] = [];
    benA.on('message', (m) => before.push(m));
    await benA.connect();
    await anna.client.send(chatId, 'before');
    await until(() => before.length === 1, 'first message applied');
    benA.close();

    const missed: Message[] = [];
    for (let i = 0; i < 30; i++) missed.push(await anna.client.send(chatId, `missed ${i}`));
    await anna.client.edit(missed[3]?.id as string, 'missed 3 (edited)');

    // Same storage = the same device after a restart of the app.
    const benB = newClient(server, { token: ben.token, storage });
    const seen: { m: Message; isNew: boolean }[] = [];
    benB.on('message', (m, { isNew }) => seen.push({ m, isNew }));
    await benB.connect();
    const fresh = seen.filter((s) => s.isNew).map((s) => s.m);
    // Changes come in commit order: the edited message arrives at the position of its edit,
    // every untouched one in seq order (clients place messages by seq).
    expect(fresh.map((m) => m.seq)).toEqual([...missed.filter((_, i) => i !== 3), missed[3]].map((m) => m?.seq));
    expect(fresh.map((m) => m.text)).not.toContain('before');
    // The edit arrives as the message's latest state, not as a second copy.
    expect(fresh.find((m) => m.id === missed[3]?.id)?.text).toBe('missed 3 (edited)');
    expect(new Set(seen.map((s) => s.m.id)).size).toBe(seen.length);

    const live = await anna.client.send(chatId, 'live again');
    await until(() => seen.some((s) => s.m.id === live.id), 'live message after sync');
    benB.close();
  });

  it('S2: catch-up larger than one page arrives complete and in order', async () => {
    const socket = await rawSocket(server, ben.token, 0);
    const cursor = (socket.frames.filter((f) => f.type === 'changes').at(-1)?.cursor as number) ?? 0;
    socket.ws.close();
    for (let i = 0; i < 120; i++) await anna.client.send(chatId, `bulk ${i}`);
    const direct = await server.kurier.database.db
      .selectFrom('messages')
      .select('seq')
      .where('conversation_id', '=', chatId)
      .execute();
    expect(direct).toHaveLength(120);

    // 120 changes fit one page of 500; pages of every size are the next test.
    const resumed = await rawSocket(server, ben.token, cursor);
    const pages = resumed.frames.filter((f) => f.type === 'changes' && f.live === false) as {
      changes: { kind: string; message?: Message }[];
      cursor: number;
    }[];
    const seqs = pages.flatMap((p) => p.changes.filter((c) => c.kind === 'message').map((c) => c.message?.seq));
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    const cursors = pages.map((p) => p.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    resumed.ws.close();
  });

  it('S2: pages of any size cover every change once, in order, and the last full page says done', async () => {
    const sync = serverSync();
    const start = await sync.head();
    for (let i = 0; i < 10; i++) {
      await anna.client.send(chatId, `page ${i}`);
      // Receipts interleave member changes with the messages: a second stream in the pages.
      if (i % 3 === 0) await anna.client.markRead(chatId, i + 1);
    }
    const end = await sync.head();
    // Each object appears once in its latest state, so the member row moved four times shows once.
    const whole = await sync.page(ben.id, start, 1000);
    const idOf = (c: (typeof whole.changes)[number]) =>
      c.kind === 'message' ? c.message.changeId : c.kind === 'member' ? c.member.changeId : -1;
    expect(whole).toMatchObject({ done: true, cursor: end });
    for (const limit of [1, 3, 5, 11, 13, 100]) {
      const ids: number[] = [];
      let pages = 0;
      for (let after = start, done = false; !done; pages++) {
        const page = await sync.page(ben.id, after, limit);
        ids.push(...page.changes.map(idOf));
        expect(page.cursor).toBeGreaterThanOrEqual(after);
        ({ cursor: after, done } = page);
        if (done) expect(page.cursor).toBe(end);
      }
      expect(ids).toEqual(whole.changes.map(idOf));
      // 10 messages and 1 member row: pages of exactly what is left end as done, no empty page after.
      if (limit === 5) expect(pages).toBe(2);
      if (limit === 11 || limit === 13) expect(pages).toBe(1);
    }
  });

  it('S2: pages over several conversations with uneven backlogs cover every change once, in order', async () => {
    const sync = serverSync();
    const groups = [];
    for (const name of ['Vertrieb', 'Technik']) {
      groups.push((await anna.client.createConversation({ kind: 'group', name, memberIds: [ben.id] })).conversation.id);
    }
    const start = await sync.head();
    // One busy chat, one quiet group and one in bursts: a page's bound comes from whichever
    // conversation fills it first, and nothing of the others below it may be skipped.
    for (let i = 0; i < 24; i++) {
      await anna.client.send(chatId, `chat ${i}`);
      if (i % 7 === 0) await anna.client.send(groups[0] as string, `quiet ${i}`);
      if (i >= 10 && i < 16) await anna.client.send(groups[1] as string, `burst ${i}`);
    }
    const end = await sync.head();
    const whole = await sync.page(ben.id, start, 1000);
    const ids = (page: typeof whole) => page.changes.flatMap((c) => (c.kind === 'message' ? [c.message.changeId] : []));
    expect(ids(whole)).toHaveLength(24 + 4 + 6);
    for (const limit of [1, 2, 4, 5, 9, 33, 34]) {
      const seen: number[] = [];
      for (let after = start, done = false; !done; ) {
        const page = await sync.page(ben.id, after, limit);
        expect(page.changes.length).toBeLessThanOrEqual(limit);
        // S6: the SQLite thread's own reading of the same page (fixed statements) agrees byte for byte.
        expect(text(await sync.catchUpFrame(ben.id, after, limit))).toBe(text(catchUpFrame(page)));
        seen.push(...ids(page));
        ({ cursor: after, done } = page);
      }
      expect(seen).toEqual(ids(whole));
    }
    expect(whole.cursor).toBe(end);
  });

  it('S8: a catch-up read ahead gives the pages read one by one, also after the thread forgot where one ended', async () => {
    const sync = serverSync();
    const thread = server.kurier.database.thread;
    const start = await sync.head();
    for (let i = 0; i < 30; i++) {
      await anna.client.send(chatId, `ahead ${i}`);
      if (i % 4 === 0) await anna.client.markRead(chatId, i + 1);
    }
    const oneByOne: string[] = [];
    for (let after = start, done = false; !done; ) {
      const page = await sync.catchUpFrame(ben.id, after, 7);
      oneByOne.push(text(page));
      ({ cursor: after, done } = page);
    }
    expect(oneByOne.length).toBeGreaterThan(3);
    const chained = async (interfere: (pageNo: number) => Promise<void>) => {
      const pages = sync.catchUp(ben.id, start, 7);
      const out: string[] = [];
      for (let done = false; !done; ) {
        const page = await pages.next();
        out.push(text(page));
        done = page.done;
        await interfere(out.length);
      }
      return out;
    };
    expect(await chained(async () => {})).toEqual(oneByOne);
    if (!thread) return;
    // The thread keeps where a bounded number of chains ended: more chains than that, after the
    // second page, push this one's out, and the next page starts over from the cursor.
    const head = await sync.head();
    const flood = async (pageNo: number) => {
      if (pageNo !== 2) return;
      const others = Array.from({ length: 4097 }, (_, k) =>
        thread.run('catchUpChained', { userId: ben.id, after: head, limit: 7, chain: 1e9 + k }, { pipelined: true }),
      );
      await Promise.all(others);
    };
    expect(await chained(flood)).toEqual(oneByOne);
    // What the thread says for a chain it does not know, and after a chain's last page.
    const ask = (after: number | null, chain: number) =>
      thread.run('catchUpChained', { userId: ben.id, after, limit: 1000, chain }, { pipelined: true });
    expect((await ask(null, 2e9)).output).toBe('lost');
    expect((await ask(start, 2e9)).output).toMatchObject({ done: true });
    expect((await ask(null, 2e9)).output).toBe('ended');
  });

  it('S6: a catch-up frame carries every kind of message byte for byte as its presenter does', async () => {
    const sync = serverSync();
    const start = await sync.head();
    // What JSON must escape, and what it must not: quotes, backslashes, controls, U+2028, emoji.
    const nasty = 'Grüße "Ben" \\ C:\\temp\n\ttab \u0001 \u2028 \u007f 😀 </script>';
    const plain = await anna.client.send(chatId, nasty);
    const reply = await anna.client.send(chatId, 'an answer', { replyToId: plain.id });
    const edited = await anna.client.send(chatId, 'before the edit');
    await anna.client.edit(edited.id, 'after the edit');
    // Reactions of two people with two emoji, grouped by emoji in order of the first reaction.
    const liked = await anna.client.send(chatId, 'react to this');
    await anna.client.react(liked.id, '👍');
    await anna.client.react(liked.id, '❤️');
    await anna.client.react(liked.id, 'ok "quoted"');
    await anna.client.react(liked.id, 'ok "quoted"', true);
    const deleted = await anna.client.send(chatId, 'gone soon');
    await anna.client.react(deleted.id, '👍');
    await anna.client.delete(deleted.id);
    const image = await anna.client.upload(await noisePng(64, 48), 'bild "1".png');
    await anna.client.send(chatId, 'a caption', { mediaId: image.id });
    const bare = await anna.client.upload(new TextEncoder().encode('just text'), 'notiz.txt');
    await anna.client.send(chatId, '', { mediaId: bare.id });
    // System messages: a group created, renamed with characters JSON escapes, a member removed.
    const group = await anna.client.createConversation({ kind: 'group', name: 'Team', memberIds: [ben.id] });
    await anna.client.rename(group.conversation.id, 'Team "Süd" \\ 2026');
    await anna.client.send(group.conversation.id, 'in the group');
    await anna.client.markRead(chatId, plain.seq);

    for (const limit of [500, 4, 1]) {
      for (let after = start, done = false; !done; ) {
        const frame = await sync.catchUpFrame(ben.id, after, limit);
        const expected = catchUpFrame(await sync.page(ben.id, after, limit));
        // Ben is away: on SQLite most of these come from what the thread kept from the send (S11).
        const { cursor, done: last } = frame;
        expect({ cursor, done: last, data: text(frame) }).toEqual({
          cursor: expected.cursor,
          done: expected.done,
          data: text(expected),
        });
        ({ cursor: after, done } = frame);
      }
    }
    const whole = JSON.parse(text(await sync.catchUpFrame(ben.id, start, 500))) as {
      changes: { kind: string; message?: Message }[];
    };
    const sent = whole.changes.flatMap((c) => (c.message ? [c.message] : []));
    expect(sent.map((m) => m.type)).toEqual(expect.arrayContaining(['text', 'file', 'system']));
    expect(sent.find((m) => m.id === plain.id)?.text).toBe(nasty);
    expect(sent.find((m) => m.id === reply.id)?.replyToId).toBe(plain.id);
    expect(sent.find((m) => m.id === liked.id)?.reactions).toEqual([
      { emoji: '👍', userIds: [anna.id] },
      { emoji: '❤️', userIds: [anna.id] },
    ]);
    expect(sent.find((m) => m.id === deleted.id)).toMatchObject({ text: null, reactions: [], media: null });
    expect(sent.find((m) => m.media?.id === image.id)?.media).toEqual(image);
    // The same messages as history gives them (and history as live frames and acks do).
    const history = await ben.client.history(chatId);
    for (const m of history.messages) expect(sent.find((s) => s.id === m.id)).toEqual(m);
  });

  it('S10: new messages found by seq and changed ones by change id: from every cursor the pages of the plain query', async () => {
    const sync = serverSync();
    const group = (await anna.client.createConversation({ kind: 'group', name: 'Lager', memberIds: [ben.id] }))
      .conversation.id;
    const start = await sync.head();
    const sent: Message[] = [];
    const at = (i: number) => (sent[i] as Message).id;
    for (let i = 0; i < 12; i++) {
      sent.push(await anna.client.send(i % 3 === 2 ? group : chatId, `m ${i}`));
      // Older messages change between new ones: each moves to a later change id.
      if (i === 4) await anna.client.edit(at(1), 'm 1 (edited)');
      if (i === 6) await anna.client.react(at(3), '👍');
      if (i === 8) await anna.client.delete(at(5));
      if (i === 10) await anna.client.edit(at(8), 'm 8 (edited)');
      if (i === 10) await anna.client.edit(at(8), 'm 8 (edited twice)');
    }
    if (dialect === 'sqlite') {
      // Rows from before migration 0009 have 0 for their creation: the group's first seqs. The
      // chat's first message stays new, as in a conversation started after the cursor.
      await sql`update messages set created_change_id = 0 where conversation_id = ${group} and seq <= 3`.execute(
        server.kurier.database.db,
      );
    }
    const end = await sync.head();
    // `page` reads with the plain query (change id > cursor, in order): the reference.
    for (let after = start; after <= end; after++) {
      for (const limit of [1, 2, 3, 5, 50]) {
        const frame = await sync.catchUpFrame(ben.id, after, limit);
        expect(text(frame), `after ${after}, limit ${limit}`).toBe(
          text(catchUpFrame(await sync.page(ben.id, after, limit))),
        );
      }
    }
    const whole = JSON.parse(text(await sync.catchUpFrame(ben.id, start, 100))) as {
      changes: { message?: Message }[];
    };
    const messages = whole.changes.flatMap((c) => (c.message ? [c.message] : []));
    expect(messages.map((m) => m.id).sort()).toEqual(sent.map((m) => m.id).sort());
    expect(messages.find((m) => m.id === at(8))?.text).toBe('m 8 (edited twice)');
    expect(messages.find((m) => m.id === at(5))?.text).toBeNull();
    expect(messages.find((m) => m.id === at(3))?.reactions).toEqual([{ emoji: '👍', userIds: [anna.id] }]);
  });

  it('S7: a client that stops reading holds back the catch-up instead of the server buffering it all', {
    timeout: 60_000,
  }, async () => {
    const cursor = await serverSync().head();
    // 4,000 messages of 4,000 characters: 8 pages of ~2.2 MB, far more than the sockets buffer.
    // Sent through the service: over Anna's socket the per-connection frame limit would pace it.
    const text = 'x'.repeat(4000);
    const actor = await server.kurier.accounts.authenticate(anna.token);
    await Promise.all(
      Array.from({ length: 4000 }, (_, i) =>
        server.kurier.messages.send(actor, { conversationId: chatId, clientMsgId: `s7-${i}`, text }),
      ),
    );
    const before = await pagesRead(server.url);
    const socket = await rawSocket(server);
    // Without a token the raw socket says no hello: stop reading, then ask for the catch-up.
    (socket.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    socket.send({ type: 'hello', protocolVersion: 1, token: ben.token, cursor });
    let read = await pagesRead(server.url);
    for (let stable = 0; stable < 5; await new Promise((r) => setTimeout(r, 100))) {
      const now = await pagesRead(server.url);
      stable = now === read ? stable + 1 : 0;
      read = now;
    }
    // What the kernel's socket buffers hold, one page waiting to leave and one read ahead.
    expect(read - before).toBeGreaterThan(0);
    expect(read - before).toBeLessThan(7);
    // The catch-up is under way meanwhile, and background indexing yields to it (briefly).
    expect(await metric(server.url, 'kurier_sync_catchups_active')).toBe(1);
    (socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const received = () =>
      socket.frames.reduce(
        (n, f) =>
          n + (f.type === 'changes' ? (f.changes as { kind: string }[]).filter((c) => c.kind === 'message').length : 0),
        0,
      );
    await until(() => received() === 4000, `all 4,000 after resuming (got ${received()})`, 30_000);
    expect((await pagesRead(server.url)) - before).toBe(8);
    expect(await metric(server.url, 'kurier_sync_catchups_active')).toBe(0);
    socket.ws.close();
  });

  it('S3: every device of a user receives its own sends and read-state changes', async () => {
    const phone = await secondDevice(server, anna);
    const phoneMessages: Message[] = [];
    const phoneMembers: Member[] = [];
    phone.on('message', (m) => phoneMessages.push(m));
    phone.on('member', (m) => phoneMembers.push(m));
    await phone.connect();
    await ben.client.connect();
    const mine = await anna.client.send(chatId, 'from the laptop');
    const theirs = await ben.client.send(chatId, 'from ben');
    await until(
      () => phoneMessages.some((m) => m.id === mine.id) && phoneMessages.some((m) => m.id === theirs.id),
      'both messages on the phone',
    );
    await anna.client.markRead(chatId, theirs.seq);
    await until(
      () => phoneMembers.some((m) => m.userId === anna.id && m.readSeq === theirs.seq),
      'read state on the phone',
    );
    phone.close();
  });

  it('S4: live messages committed during catch-up are neither lost nor duplicated', async () => {
    await ben.client.connect();
    ben.client.close();
    const sending = (async () => {
      for (let i = 0; i < 80; i++) await anna.client.send(chatId, `during ${i}`);
    })();
    await new Promise((r) => setTimeout(r, 20));
    const seen: number[] = [];
    ben.client.on('message', (m, { isNew }) => isNew && seen.push(m.seq));
    await ben.client.connect();
    await sending;
    await until(() => seen.length >= 80, 'all 80 messages');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
  });

  it('S1 S4: outbox resends answered during a multi-page catch-up: every message new exactly once', {
    timeout: 60_000,
  }, async () => {
    const storage = new MemoryStorage();
    const away = newClient(server, { token: anna.token, storage });
    await away.connect();
    await ben.client.connect();
    away.close();
    // Anna writes while offline; Ben writes enough for a catch-up of several pages.
    // The away client is closed, so these promises stay pending; the next client on the same
    // storage resends the outbox.
    for (let i = 0; i < 5; i++) void away.send(chatId, `offline ${i}`).catch(() => {});
    await Promise.all(Array.from({ length: 1200 }, (_, i) => ben.client.send(chatId, `ben ${i}`)));
    const back = newClient(server, { token: anna.token, storage });
    const seen = new Map<string, number>();
    back.on('message', (m, { isNew }) => {
      if (isNew) seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
    });
    await back.connect();
    await until(async () => (await back.pending()).length === 0, 'outbox drained');
    await until(() => seen.size === 1205, `1205 new messages (got ${seen.size})`);
    await new Promise((r) => setTimeout(r, 100));
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    back.close();
  });

  it('S9: a device coming online costs the SQLite thread its catch-up pages and nothing else', async () => {
    const thread = server.kurier.database.thread;
    if (!thread) return;
    await anna.client.send(chatId, 'while Ben was away');
    await server.kurier.routingIdle();
    const pages = await pagesRead(server.url);
    // Counted from here to the end of the catch-up (the metrics scrape itself asks the thread).
    const before = thread.statements;
    const got: Message[] = [];
    ben.client.on('message', (m) => got.push(m));
    await ben.client.connect();
    await until(() => got.some((m) => m.text === 'while Ben was away'), 'ben caught up');
    await server.kurier.routingIdle();
    // The session, the head, the presence audience and the router's first look are read on the
    // event loop's own connection; on the thread each went before the catch-up as a round trip.
    const asked = thread.statements - before;
    expect(await pagesRead(server.url)).toBe(pages + 1);
    expect(asked).toBe(0);
  });

  it('S5: typing reaches the other member and is never stored; presence shows online and last seen', async () => {
    const typing: { userId: string; typing: boolean }[] = [];
    const presence: { userId: string; online: boolean; lastSeenAt: number | null }[] = [];
    anna.client.on('typing', (t) => typing.push(t));
    anna.client.on('presence', (p) => presence.push(p));
    await ben.client.connect();
    await until(() => presence.some((p) => p.userId === ben.id && p.online), 'ben online');
    ben.client.typing(chatId, true);
    await until(() => typing.some((t) => t.userId === ben.id && t.typing), 'typing event');
    ben.client.close();
    await until(
      () => presence.some((p) => p.userId === ben.id && !p.online && p.lastSeenAt !== null),
      'ben offline with last seen',
    );
    const users = await anna.client.users();
    expect(users.find((u) => u.id === ben.id)?.lastSeenAt).not.toBeNull();
  });
});

describe('sync on sqlite: indexes', () => {
  it('S10: a database from before migration 0009 catches up as before, old messages and new', async () => {
    const first = await startServer({ dialect: 'sqlite' });
    const { dataDir } = first.config;
    let { anna, ben, chatId } = await directChat(first);
    const old: Message[] = [];
    for (let i = 0; i < 9; i++) old.push(await anna.client.send(chatId, `alt ${i}`));
    await anna.client.edit((old[2] as Message).id, 'alt 2 (bearbeitet)');
    for (const u of [anna, ben]) u.client.close();
    await first.kurier.close();
    // Back to the schema of migration 0008, rows and all, as a server of that version left it.
    const file = new Database(join(dataDir, 'kurier.db'));
    file.exec(`drop index messages_conversation_changed;
      create index messages_conversation_change on messages (conversation_id, change_id);
      alter table messages drop column created_change_id;
      delete from kysely_migration where name = '0009-message-creation-order';`);
    file.close();

    const server = await startServer({ dialect: 'sqlite', config: { dataDir } });
    try {
      anna = { ...anna, client: newClient(server, { token: anna.token }) };
      await anna.client.connect();
      const fresh: Message[] = [];
      for (let i = 0; i < 5; i++) fresh.push(await anna.client.send(chatId, `neu ${i}`));
      await anna.client.edit((old[6] as Message).id, 'alt 6 (nach dem Update bearbeitet)');
      await anna.client.react((fresh[1] as Message).id, '👍');
      const sync = syncService({
        db: server.kurier.database.db,
        messages: server.kurier.messages,
        thread: server.kurier.database.thread,
      });
      const end = await sync.head();
      for (let after = 0; after <= end; after++) {
        for (const limit of [1, 4, 50]) {
          const frame = await sync.catchUpFrame(ben.id, after, limit);
          const expected = catchUpFrame(await sync.page(ben.id, after, limit));
          expect(text(frame), `after ${after}, limit ${limit}`).toBe(text(expected));
        }
      }
      const whole = JSON.parse(text(await sync.catchUpFrame(ben.id, 0, 100))) as { changes: { message?: Message }[] };
      const texts = whole.changes.flatMap((c) => (c.message ? [c.message.text] : []));
      expect(texts).toHaveLength(14);
      expect(texts.slice(-3)).toEqual(['neu 4', 'alt 6 (nach dem Update bearbeitet)', 'neu 1']);
    } finally {
      anna.client.close();
      await server.close();
    }
  });

  it('S10: a send writes one index led by the conversation; the catch-up reads messages only by index', async () => {
    const server = await startServer({ dialect: 'sqlite' });
    try {
      const sqlite = server.kurier.database.sqlite as NonNullable<TestServer['kurier']['database']['sqlite']>;
      const indexes = sqlite
        .prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = 'messages'")
        .all() as { name: string; sql: string | null }[];
      const conversationLed = indexes.filter(
        (i) => (sqlite.pragma(`index_info(${i.name})`) as { name: string }[])[0]?.name === 'conversation_id',
      );
      // (conversation_id, seq), which every message lands in, and the changed messages' index.
      expect(conversationLed).toHaveLength(2);
      const partial = conversationLed.filter((i) => / where /i.test(i.sql ?? ''));
      expect(partial.map((i) => i.name)).toEqual(['messages_conversation_changed']);
      for (const statement of CATCH_UP_MESSAGE_STATEMENTS) {
        const params = statement
          .split('?')
          .slice(1)
          .map(() => 1);
        const plan = (sqlite.prepare(`explain query plan ${statement}`).all(...params) as { detail: string }[])
          .map((p) => p.detail)
          .join('; ');
        // A search through an index in the wanted order: no scan, no sort.
        expect(plan, statement).toMatch(/^SEARCH messages USING INDEX \w+ \(conversation_id=\?/);
        expect(plan, statement).not.toMatch(/SCAN|TEMP B-TREE/);
      }
    } finally {
      await server.close();
    }
  });
});

describe('sync on sqlite: messages kept from their send', () => {
  it('S11: what was sent while a member was away comes from memory until it changes, the same bytes as SQLite builds', async () => {
    const server = await startServer({ dialect: 'sqlite' });
    const { anna, ben, chatId } = await directChat(server);
    const storage = new MemoryStorage();
    let benA = newClient(server, { token: ben.token, storage });
    try {
      ben.client.close();
      let liveSeen = 0;
      benA.on('message', () => liveSeen++);
      await benA.connect();
      const sync = syncService({
        db: server.kurier.database.db,
        messages: server.kurier.messages,
        thread: server.kurier.database.thread,
      });
      const start = await sync.head();
      // Both online: received live, nothing kept.
      for (let i = 0; i < 3; i++) await anna.client.send(chatId, `live ${i}`);
      await until(() => liveSeen === 3, 'the live messages');
      benA.close();
      await until(async () => (await metric(server.url, 'kurier_ws_connections')) === 1, 'Ben gone');
      const away: Message[] = [];
      for (let i = 0; i < 5; i++) away.push(await anna.client.send(chatId, `away ${i} "zitiert" 😀`));
      // Changed since the send: built by SQLite from the row, never the kept JSON.
      await anna.client.edit((away[1] as Message).id, 'away 1 (bearbeitet)');
      await anna.client.react((away[2] as Message).id, '👍');

      const fromMemory = () => metric(server.url, 'kurier_sync_messages_from_memory_total');
      expect(await fromMemory()).toBe(0);
      benA = newClient(server, { token: ben.token, storage });
      const got: Message[] = [];
      benA.on('message', (m, { isNew }) => isNew && got.push(m));
      await benA.connect();
      await until(() => got.length === 5, 'the messages sent while away');
      expect(await fromMemory()).toBe(3);
      // In change order: the unchanged first, then the edited and the reacted one.
      expect(got.map((m) => m.text)).toEqual(
        [0, 3, 4, 1, 2].map((i) => (i === 1 ? 'away 1 (bearbeitet)' : away[i]?.text)),
      );
      expect(got[4]?.reactions).toEqual([{ emoji: '👍', userIds: [anna.id] }]);
      // Anna's acks carried the JSON the thread kept: the messages as history presents them.
      const history = (await anna.client.history(chatId)).messages;
      expect(away.map((m) => m.id)).toEqual(history.slice(3, 8).map((m) => m.id));
      for (const i of [0, 3, 4]) expect(away[i]).toEqual(history[3 + i]);

      // Pages of every size over the live and the kept messages: the plain query's bytes.
      for (const limit of [1, 2, 3, 500]) {
        let kept = 0;
        for (let after = start, done = false; !done; ) {
          const frame = await sync.catchUpFrame(ben.id, after, limit);
          expect(text(frame), `after ${after}, limit ${limit}`).toBe(
            text(catchUpFrame(await sync.page(ben.id, after, limit))),
          );
          kept += frame.fromMemory;
          ({ cursor: after, done } = frame);
        }
        expect(kept).toBe(3);
      }
    } finally {
      benA.close();
      anna.client.close();
      await server.close();
    }
  });
});

/** One of the server's metrics without labels. */
async function metric(url: string, name: string): Promise<number> {
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
}

/** Catch-up pages the server has read so far. */
const pagesRead = (url: string) => metric(url, 'kurier_sync_pages_total');

/** A catch-up frame's text. */
function text(frame: { data: Uint8Array }): string {
  return new TextDecoder().decode(frame.data);
}
