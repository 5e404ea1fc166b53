import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Change, Message } from '@kurier/protocol';
import { CompiledQuery, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, directChat, type RawSocket, rawSocket, type TestUser, until } from '../../../../test/factories.js';
import { noisePng } from '../../../../test/files.js';
import { DIALECTS, dialectAvailable, startServer, type TestServer } from '../../../../test/harness.js';
import { openDatabase } from '../db/index.js';
import { SqliteThread } from '../db/sqlite-thread.js';

describe.each(DIALECTS)('messages on %s', (dialect) => {
  let server: TestServer;
  let anna: TestUser;
  let ben: TestUser;
  let chatId: string;

  beforeEach(async (ctx) => {
    if (!dialectAvailable(dialect)) return ctx.skip();
    server = await startServer({ dialect });
    ({ anna, ben, chatId } = await directChat(server));
  });

  afterEach(async () => {
    anna?.client.close();
    ben?.client.close();
    await server?.close();
  });

  it('M1: a send is acknowledged with the server id and seq, and the message is stored', async () => {
    const received: Message[] = [];
    ben.client.on('message', (m, { isNew }) => isNew && received.push(m));
    const message = await anna.client.send(chatId, 'Hallo Ben!');
    expect(message).toMatchObject({
      conversationId: chatId,
      seq: 1,
      senderId: anna.id,
      text: 'Hallo Ben!',
      type: 'text',
    });
    expect(message.id).toMatch(/^m_/);
    const stored = await server.kurier.database.db
      .selectFrom('messages')
      .selectAll()
      .where('id', '=', message.id)
      .executeTakeFirst();
    expect(stored?.text).toBe('Hallo Ben!');
    await until(() => received.length === 1, 'delivery to ben');
    expect(received[0]?.id).toBe(message.id);
  });

  it('M2: a retry with the same clientMsgId returns the original message, never a second one', async () => {
    const first = await anna.client.send(chatId, 'once', { clientMsgId: 'retry-1' });
    const again = await anna.client.send(chatId, 'once', { clientMsgId: 'retry-1' });
    expect(again.id).toBe(first.id);
    expect(again.seq).toBe(first.seq);
    // The same key with other content is a client bug, reported rather than silently merged.
    await expect(anna.client.send(chatId, 'different', { clientMsgId: 'retry-1' })).rejects.toMatchObject({
      code: 'CLIENT_MSG_ID_REUSED',
    });
    // Duplicates inside one group-commit batch collapse too.
    const socket = await rawSocket(server, anna.token);
    for (const id of ['a', 'b', 'c'])
      socket.send({ type: 'send', id, conversationId: chatId, clientMsgId: 'batch-dup', text: 'x' });
    const acks = [await socket.next('ack'), await socket.next('ack'), await socket.next('ack')];
    const ids = new Set(acks.map((a) => (a.message as Message).id));
    expect(ids.size).toBe(1);
    const page = await anna.client.history(chatId);
    expect(page.messages.map((m) => m.seq)).toEqual([1, 2]);
    socket.ws.close();
  });

  it('M12: the sending connection gets its new message once: the ack stands in for the change', async () => {
    const sender = await rawSocket(server, anna.token);
    const sameSession = await rawSocket(server, anna.token);
    const other = await rawSocket(server, ben.token);
    const changesWith = (socket: RawSocket, id: string) =>
      socket.frames.filter(
        (f) => f.type === 'changes' && (f.changes as Change[]).some((c) => c.kind === 'message' && c.message.id === id),
      );
    // Everything a connection was sent before its pong has arrived.
    const settle = async (socket: RawSocket) => {
      socket.send({ type: 'ping', id: 'settle' });
      for (;;) if ((await socket.next('pong')).id === 'settle') return;
    };

    sender.send({ type: 'send', id: 's1', conversationId: chatId, clientMsgId: 'm12-a', text: 'Hallo' });
    const ack = await sender.next('ack');
    const message = ack.message as Message;
    expect(ack).toMatchObject({ id: 's1', cursor: message.changeId });
    await settle(sender);
    expect(changesWith(sender, message.id)).toEqual([]);
    // The user's other connections (the same session included) and the other member get the change.
    for (const socket of [sameSession, other]) {
      await until(() => changesWith(socket, message.id).length === 1, 'the change on the other connections');
      expect(changesWith(socket, message.id)[0]?.changes).toEqual([{ kind: 'message', message }]);
    }
    // The ack's cursor is a position in the change stream: resuming from it repeats no message
    // (Ben's client may have moved his delivered watermark since: a member change).
    const resumed = await rawSocket(server, anna.token, ack.cursor as number);
    const caughtUp = resumed.frames.filter((f) => f.type === 'changes').flatMap((f) => f.changes as Change[]);
    expect(caughtUp.filter((c) => c.kind === 'message')).toEqual([]);

    // A retry finds its message stored: no change announces it, so its ack carries no cursor.
    sender.send({ type: 'send', id: 's2', conversationId: chatId, clientMsgId: 'm12-a', text: 'Hallo' });
    const retry = await sender.next('ack');
    expect(retry).toEqual({ type: 'ack', id: 's2', message });

    // Two sends of one clientMsgId at once: one ack stands in the change's place, the other is plain.
    for (const id of ['s3', 's4'])
      sender.send({ type: 'send', id, conversationId: chatId, clientMsgId: 'm12-b', text: 'zweimal' });
    const pair = [await sender.next('ack'), await sender.next('ack')].sort((a, b) =>
      String(a.id).localeCompare(String(b.id)),
    );
    const twice = pair[0]?.message as Message;
    expect(pair.map((a) => a.id)).toEqual(['s3', 's4']);
    expect(pair[1]?.message).toEqual(twice);
    expect(pair.filter((a) => a.cursor === twice.changeId)).toHaveLength(1);
    await settle(sender);
    expect(changesWith(sender, twice.id)).toEqual([]);

    // An edit of a message announces a change with its clientMsgId too, but creates nothing: a
    // send with that clientMsgId and other text, open meanwhile, still gets its error.
    sender.send({ type: 'edit', id: 'e1', messageId: message.id, text: 'Hallo!' });
    sender.send({ type: 'send', id: 's5', conversationId: chatId, clientMsgId: 'm12-a', text: 'anders' });
    expect(await sender.next('error')).toMatchObject({ id: 's5', code: 'CLIENT_MSG_ID_REUSED' });
    await settle(sender);
    expect(sender.frames.filter((f) => f.type === 'ack' && f.id === 's5')).toEqual([]);
    expect(sender.frames.find((f) => f.type === 'ack' && f.id === 'e1')).toMatchObject({ message: { text: 'Hallo!' } });

    // A clientMsgId is the sender's own: another member's new message with the same one, created
    // while this connection's send is open, reaches this connection as a change, not as its ack.
    other.send({ type: 'send', id: 'b1', conversationId: chatId, clientMsgId: 'm12-c', text: 'von Ben' });
    sender.send({ type: 'send', id: 's6', conversationId: chatId, clientMsgId: 'm12-c', text: 'von Anna' });
    expect(await sender.next('ack')).toMatchObject({ id: 's6', message: { senderId: anna.id, text: 'von Anna' } });
    const fromBen = (await other.next('ack')).message as Message;
    await until(() => changesWith(sender, fromBen.id).length === 1, "Ben's message as a change");
    for (const socket of [sender, sameSession, resumed, other]) socket.ws.close();
  });

  it('M9: every kind of send in one batch is acknowledged and delivered as history presents it', async () => {
    const image = await anna.client.upload(await noisePng(32, 24), 'bild.png');
    const file = await anna.client.upload(new TextEncoder().encode('notiz'), 'notiz.txt');
    const earlier = await anna.client.send(chatId, 'vorher', { clientMsgId: 'earlier' });
    const benSaw: Message[] = [];
    ben.client.on('message', (m, { isNew }) => isNew && benSaw.push(m));
    const socket = await rawSocket(server, anna.token);
    // Back to back, so the writer takes them as one batch (or few): on SQLite the thread answers
    // with ids and seqs, and the event loop presents the messages from its items again.
    const frames = [
      { id: 'text', clientMsgId: 'c-text', text: 'Grüße "Ben" \\ 😀' },
      { id: 'reply', clientMsgId: 'c-reply', text: 'eine Antwort', replyToId: earlier.id },
      { id: 'image', clientMsgId: 'c-image', text: 'mit Bild', mediaId: image.id },
      { id: 'file', clientMsgId: 'c-file', mediaId: file.id },
      // A retry counts as the same send without comparing the reply: it gets the first one's message.
      { id: 'again', clientMsgId: 'c-text', text: 'Grüße "Ben" \\ 😀', replyToId: earlier.id },
      { id: 'retry', clientMsgId: 'earlier', text: 'vorher' },
    ];
    for (const f of frames) socket.send({ type: 'send', conversationId: chatId, ...f });
    const acks = new Map<string, Message>();
    for (const _ of frames) {
      const ack = await socket.next('ack');
      acks.set(ack.id as string, ack.message as Message);
    }
    const history = new Map((await anna.client.history(chatId)).messages.map((m) => [m.id, m]));
    expect(history.size).toBe(5);
    for (const [id, message] of acks) expect(message, id).toEqual(history.get(message.id));
    expect(acks.get('again')).toEqual(acks.get('text'));
    expect(acks.get('retry')).toEqual(history.get(earlier.id));
    expect(acks.get('image')?.media).toEqual(image);
    const created = ['text', 'reply', 'image', 'file'].map((id) => acks.get(id)?.id);
    await until(() => created.every((id) => benSaw.some((m) => m.id === id)), 'ben receives the four new messages');
    for (const message of benSaw) expect(message).toEqual(history.get(message.id));
    socket.ws.close();
  });

  it('M3: concurrent sends from several devices get gapless, strictly increasing seqs', async () => {
    const sends: Promise<Message>[] = [];
    for (let i = 0; i < 60; i++) {
      sends.push(anna.client.send(chatId, `a${i}`));
      sends.push(ben.client.send(chatId, `b${i}`));
    }
    const acked = await Promise.all(sends);
    const seqs = acked.map((m) => m.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    // Each sender's own messages keep the order they were sent in.
    const annaSeqs = acked.filter((m) => m.senderId === anna.id).map((m) => m.seq);
    expect(annaSeqs).toEqual([...annaSeqs].sort((a, b) => a - b));
  });

  it('M4: edit, reply, reaction and delete for everyone reach the other member', async () => {
    const updates: Message[] = [];
    ben.client.on('message', (m, { isNew }) => !isNew && updates.push(m));
    const original = await anna.client.send(chatId, 'Termin um 10?');
    const reply = await ben.client.send(chatId, 'Ja, passt.', { replyToId: original.id });
    expect(reply.replyToId).toBe(original.id);
    const edited = await anna.client.edit(original.id, 'Termin um 11?');
    expect(edited).toMatchObject({ text: 'Termin um 11?', seq: original.seq });
    expect(edited.editedAt).not.toBeNull();
    await expect(ben.client.edit(original.id, 'hijack')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const reacted = await ben.client.react(original.id, '👍');
    expect(reacted.reactions).toEqual([{ emoji: '👍', userIds: [ben.id] }]);
    const unreacted = await ben.client.react(original.id, '👍', true);
    expect(unreacted.reactions).toEqual([]);
    const deleted = await anna.client.delete(original.id);
    expect(deleted).toMatchObject({ text: null, seq: original.seq });
    expect(deleted.deletedAt).not.toBeNull();
    await expect(anna.client.edit(original.id, 'zombie')).rejects.toMatchObject({ code: 'CONFLICT' });
    await until(() => updates.some((m) => m.id === original.id && m.deletedAt !== null), 'deletion reaches ben');
    await expect(ben.client.send(chatId, 'x', { replyToId: 'm_nope' })).rejects.toMatchObject({
      code: 'MESSAGE_NOT_FOUND',
    });
  });

  it('M5: delivered and read receipts are watermarks that only move forward', async () => {
    const members: { userId: string; deliveredSeq: number; readSeq: number }[] = [];
    anna.client.on('member', (m) => members.push(m));
    await anna.client.send(chatId, 'one');
    const two = await anna.client.send(chatId, 'two');
    // Ben's client sends a delivered receipt by itself when the messages arrive.
    await until(() => members.some((m) => m.userId === ben.id && m.deliveredSeq === two.seq), 'delivered receipt');
    await ben.client.markRead(chatId, 2);
    await until(() => members.some((m) => m.userId === ben.id && m.readSeq === 2), 'read receipt');
    await ben.client.markRead(chatId, 1);
    await ben.client.markRead(chatId, 99); // beyond the end: capped at the last seq
    const row = await server.kurier.database.db
      .selectFrom('members')
      .selectAll()
      .where('conversation_id', '=', chatId)
      .where('user_id', '=', ben.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ read_seq: 2, delivered_seq: 2 });
  });

  it('M13: receipts committed together reach each member as one frame per conversation, in change order', async () => {
    const carl = await createUser(server, anna, 'carl');
    const dora = await createUser(server, anna, 'dora');
    const north = (await anna.client.createConversation({ kind: 'group', name: 'Nord', memberIds: [carl.id, dora.id] }))
      .conversation.id;
    const south = (await anna.client.createConversation({ kind: 'group', name: 'Süd', memberIds: [carl.id, dora.id] }))
      .conversation.id;
    const seqs = new Map<string, number>();
    for (const id of [north, south]) seqs.set(id, (await anna.client.send(id, 'Hallo zusammen')).seq);
    const watcher = await rawSocket(server, anna.token);
    const { accounts, messages } = server.kurier;
    const [asCarl, asDora] = await Promise.all([accounts.authenticate(carl.token), accounts.authenticate(dora.token)]);
    // Submitted in one tick, with the membership cache warm from the sends: one receipt batch,
    // its conversations interleaved.
    const receipts: [typeof asCarl, string][] = [
      [asCarl, north],
      [asDora, south],
      [asDora, north],
      [asCarl, south],
    ];
    await Promise.all(
      receipts.map(([actor, conversationId]) =>
        messages.receipt(actor, { kind: 'read', conversationId, seq: seqs.get(conversationId) as number }),
      ),
    );
    const frames = [await watcher.next('changes'), await watcher.next('changes')];
    const members = frames.map((f) =>
      (f.changes as Change[]).map((c) => (c.kind === 'member' ? [c.member.conversationId, c.member.userId] : null)),
    );
    expect(members).toEqual([
      [
        [north, carl.id],
        [north, dora.id],
      ],
      [
        [south, dora.id],
        [south, carl.id],
      ],
    ]);
    // Change ids grow through both frames, and each frame's cursor is its last change.
    const ids = frames.flatMap((f) =>
      (f.changes as Change[]).map((c) => (c.kind === 'member' ? c.member.changeId : 0)),
    );
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(4);
    expect(frames.map((f) => f.cursor)).toEqual([ids[1], ids[3]]);
    await new Promise((r) => setTimeout(r, 100));
    expect(watcher.frames.filter((f) => f.type === 'changes')).toHaveLength(2);
    watcher.ws.close();
  });

  it('M6: history pages backwards, oldest first in each page', async () => {
    for (let i = 1; i <= 25; i++) await anna.client.send(chatId, `message ${i}`);
    const latest = await ben.client.history(chatId, { limit: 10 });
    expect(latest.messages.map((m) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(latest.hasMore).toBe(true);
    const older = await ben.client.history(chatId, { before: 16, limit: 10 });
    expect(older.messages.map((m) => m.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const oldest = await ben.client.history(chatId, { before: 6, limit: 10 });
    expect(oldest.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(oldest.hasMore).toBe(false);
    await expect(ben.client.history(chatId, { limit: 5000 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('M7: full-text search finds words in German and English, only in own conversations', async () => {
    await anna.client.send(chatId, 'Die Rechnung für März ist angekommen');
    await anna.client.send(chatId, 'The invoice for March arrived');
    const deleted = await anna.client.send(chatId, 'Rechnung gelöscht');
    await anna.client.delete(deleted.id);
    const carl = await createUser(server, anna, 'carl');
    const hits = await ben.client.search('rechnung');
    expect(hits.messages.map((m) => m.text)).toEqual(['Die Rechnung für März ist angekommen']);
    expect((await ben.client.search('invoice')).messages).toHaveLength(1);
    expect((await carl.client.search('rechnung')).messages).toHaveLength(0);
    // Query syntax in user input is treated as words, not operators.
    const tricky = await ben.client.search('märz" (angekommen*');
    expect(tricky.messages.map((m) => m.text)).toEqual(['Die Rechnung für März ist angekommen']);
    await expect(carl.client.search('rechnung', chatId)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
  });

  it('M7: search sees every committed message, its latest text, and no deleted one, however indexing is timed', async () => {
    // Edited and deleted before the background indexer ran: it indexes the current text.
    const early = await anna.client.send(chatId, 'Angebot Nummer eins');
    await anna.client.edit(early.id, 'Auftrag Nummer eins');
    const gone = await anna.client.send(chatId, 'Angebot wird gelöscht');
    await anna.client.delete(gone.id);
    expect((await ben.client.search('angebot')).messages).toHaveLength(0);
    expect((await ben.client.search('auftrag')).messages.map((m) => m.id)).toEqual([early.id]);
    // Edited and deleted after indexing: the index follows the change.
    await anna.client.edit(early.id, 'Lieferung Nummer eins');
    expect((await ben.client.search('auftrag')).messages).toHaveLength(0);
    expect((await ben.client.search('lieferung')).messages.map((m) => m.id)).toEqual([early.id]);
    await anna.client.delete(early.id);
    expect((await ben.client.search('nummer')).messages).toHaveLength(0);
    // Without any search, the indexer catches up in the background.
    const later = await anna.client.send(chatId, 'Hintergrund');
    if (dialect === 'sqlite') {
      const { db } = server.kurier.database;
      await until(async () => {
        const { rows } = await sql<{ value: number }>`
          select value from search.search_state where name = 'messages'`.execute(db);
        const row = await db.selectFrom('messages').select('pk').where('id', '=', later.id).executeTakeFirstOrThrow();
        return (rows[0]?.value ?? 0) >= row.pk;
      }, 'the background indexer to reach the newest message');
    }
    expect((await ben.client.search('hintergrund')).messages.map((m) => m.id)).toEqual([later.id]);
  });

  it('M8: the REST send is the same durable, idempotent send', async () => {
    const body = { clientMsgId: 'rest-1', text: 'via REST' };
    const a = await anna.client.request<{ message: Message }>('POST', `/api/v1/conversations/${chatId}/messages`, body);
    const b = await anna.client.request<{ message: Message }>('POST', `/api/v1/conversations/${chatId}/messages`, body);
    expect(b.message.id).toBe(a.message.id);
    await expect(
      anna.client.request('POST', `/api/v1/conversations/${chatId}/messages`, { clientMsgId: 'x', text: '' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('E10: text with a NUL character is refused with VALIDATION_FAILED everywhere and stores nothing', async () => {
    // PostgreSQL cannot store U+0000; this once failed as INTERNAL, and the SDK retried for ever.
    const socket = await rawSocket(server, anna.token);
    socket.send({ type: 'send', id: 'nul', conversationId: chatId, clientMsgId: 'nul-1', text: 'a\u0000b' });
    expect(await socket.next('error')).toMatchObject({ code: 'VALIDATION_FAILED', id: 'nul' });
    // Only a real NUL counts: an escaped backslash before "u0000" is ordinary text.
    socket.send({ type: 'send', id: 'ok', conversationId: chatId, clientMsgId: 'nul-2', text: 'C:\\u0000' });
    expect(await socket.next('ack')).toMatchObject({ id: 'ok', message: { text: 'C:\\u0000' } });
    const refused = { code: 'VALIDATION_FAILED', status: 400 };
    await expect(
      anna.client.request('POST', `/api/v1/conversations/${chatId}/messages`, { clientMsgId: 'nul-3', text: '\u0000' }),
    ).rejects.toMatchObject(refused);
    await expect(anna.client.rename(chatId, 'Team\u0000')).rejects.toMatchObject(refused);
    await expect(anna.client.request('GET', '/api/v1/search?q=a%00b')).rejects.toMatchObject(refused);
    await expect(anna.client.request('GET', `/api/v1/conversations/${chatId}%00/messages`)).rejects.toMatchObject(
      refused,
    );
    await expect(anna.client.request('PATCH', '/api/v1/me', { displayName: 'Anna\u0000' })).rejects.toMatchObject(
      refused,
    );
    const texts = await server.kurier.database.db.selectFrom('messages').select('text').execute();
    expect(texts.map((t) => t.text)).toEqual(['C:\\u0000']);
    // The connection and the process carry on.
    expect(await anna.client.send(chatId, 'still here')).toMatchObject({ text: 'still here' });
    socket.ws.close();
  });

  it('E11: the commit checks each sender in each conversation itself, whatever the cache says', async () => {
    const carl = await createUser(server, anna, 'carl');
    await carl.client.connect();
    const group = await anna.client.createConversation({ kind: 'group', name: 'Team', memberIds: [ben.id, carl.id] });
    const withCarl = await carl.client.createConversation({ kind: 'direct', userId: anna.id });
    // Carl's sends put the group's members in the cache; then he leaves behind the cache's back,
    // so only the commit's own check can tell.
    await carl.client.send(group.conversation.id, 'Hallo zusammen');
    const seen = await ben.client.send(group.conversation.id, 'Hallo Carl');
    await server.kurier.database.db
      .updateTable('members')
      .set({ left_at: Date.now() })
      .where('conversation_id', '=', group.conversation.id)
      .where('user_id', '=', carl.id)
      .execute();
    // Carl, still a member of the direct chat, sends to both at once; Ben sends too.
    const [refused, kept, ok] = await Promise.allSettled([
      carl.client.send(group.conversation.id, 'noch da?'),
      carl.client.send(withCarl.conversation.id, 'Anna?'),
      ben.client.send(group.conversation.id, 'Carl ist weg'),
    ]);
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'NOT_A_MEMBER' } });
    expect(kept).toMatchObject({ status: 'fulfilled', value: { conversationId: withCarl.conversation.id } });
    // The refused send took no seq.
    expect(ok).toMatchObject({ status: 'fulfilled', value: { seq: seen.seq + 1 } });
    await expect(carl.client.markRead(group.conversation.id, seen.seq)).rejects.toMatchObject({
      code: 'NOT_A_MEMBER',
    });
    const texts = await server.kurier.database.db
      .selectFrom('messages')
      .select('text')
      .where('sender_id', '=', carl.id)
      .orderBy('created_at')
      .execute();
    expect(texts.map((t) => t.text)).toEqual(['Hallo zusammen', 'Anna?']);
    const carlsReceipt = await server.kurier.database.db
      .selectFrom('members')
      .select('read_seq')
      .where('conversation_id', '=', group.conversation.id)
      .where('user_id', '=', carl.id)
      .executeTakeFirstOrThrow();
    expect(carlsReceipt.read_seq).toBe(0);
    carl.client.close();
  });

  it('E1: nobody reads or writes a conversation they are not a member of', async () => {
    const carl = await createUser(server, anna, 'carl');
    await carl.client.connect();
    await expect(carl.client.send(chatId, 'let me in')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    await expect(carl.client.history(chatId)).rejects.toMatchObject({ code: 'NOT_A_MEMBER', status: 403 });
    await expect(carl.client.request('GET', `/api/v1/conversations/${chatId}`)).rejects.toMatchObject({
      code: 'NOT_A_MEMBER',
    });
    await expect(carl.client.send('c_doesnotexist', 'hello?')).rejects.toMatchObject({
      code: 'CONVERSATION_NOT_FOUND',
    });
    const original = await anna.client.send(chatId, 'private');
    await expect(carl.client.react(original.id, '😈')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    await expect(carl.client.delete(original.id)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    const count = await server.kurier.database.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
    carl.client.close();
  });
});

describe('the SQLite thread', () => {
  it('D1: when the SQLite thread dies with a batch on it, a new thread takes over and every send lands exactly once, gapless', async () => {
    const server = await startServer({ dialect: 'sqlite' });
    const { anna, ben, chatId } = await directChat(server);
    const thread = server.kurier.database.thread;
    if (!thread) throw new Error('SQLite runs on its own thread');
    let restarts = 0;
    thread.onRestart = () => restarts++;
    const socket = await rawSocket(server, anna.token);
    const send = (i: number) =>
      socket.send({ type: 'send', id: `s${i}`, conversationId: chatId, clientMsgId: `d1-${i}`, text: `m${i}` });
    // The thread dies just as the first batch of sends is handed to it.
    const run = thread.run.bind(thread);
    let killed = false;
    thread.run = (...args: Parameters<typeof run>) => {
      if (!killed) {
        killed = true;
        void thread.terminate();
      }
      return run(...args);
    };
    const N = 300;
    for (let i = 0; i < N; i++) send(i);
    const answers = () => socket.frames.filter((f) => (f.type === 'ack' || f.type === 'error') && f.id);
    await until(() => answers().length >= N, 'an answer to every send');
    const refused = answers().filter((f) => f.type === 'error');
    // The writer retries a failed batch item by item, so the new thread usually takes them all;
    // whatever is refused is refused as INTERNAL, never acknowledged.
    for (const f of refused) expect(f.code).toBe('INTERNAL');
    // Not acknowledged means safe to retry: the same clientMsgIds, once more.
    for (const f of refused) send(Number(String(f.id).slice(1)));
    await until(() => answers().length >= N + refused.length, 'answers to the retries');
    expect(answers().filter((f) => f.type === 'error')).toHaveLength(refused.length);
    const rows = await server.kurier.database.db
      .selectFrom('messages')
      .select(['seq', 'client_msg_id'])
      .where('conversation_id', '=', chatId)
      .orderBy('seq')
      .execute();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.client_msg_id)).size).toBe(N);
    expect(restarts).toBe(1);
    socket.ws.close();
    anna.client.close();
    ben.client.close();
    await server.close();
  });

  it('D3: the SQLite thread makes each send batch durable itself before it answers; the acks follow', async () => {
    const server = await startServer({ dialect: 'sqlite' });
    const { anna, ben, chatId } = await directChat(server);
    const thread = server.kurier.database.thread;
    if (!thread) throw new Error('SQLite runs on its own thread');
    const run = thread.run.bind(thread);
    const synced: (number | null)[] = [];
    thread.run = async <T>(...args: Parameters<typeof run>) => {
      const out = await run<T>(...args);
      if (args[0] === 'send') synced.push(out.synced);
      return out;
    };
    const sent = await Promise.all(Array.from({ length: 20 }, (_, i) => anna.client.send(chatId, `d3-${i}`)));
    expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(synced.length).toBeGreaterThan(0);
    for (const s of synced) expect(s).toEqual(expect.any(Number));
    // The thread's fsyncs are what /metrics reports as the writer's.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const count = Number(/^kurier_writer_fsync_seconds_count (\d+)/m.exec(metrics)?.[1]);
    expect(count).toBeGreaterThanOrEqual(synced.length);
    anna.client.close();
    ben.client.close();
    await server.close();
  });

  it('D2: a thread that cannot start fails the start with its error instead of being restarted forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kurier-d2-'));
    try {
      const missing = new URL('./no-such-procedures.ts', import.meta.url);
      const thread = new SqliteThread(join(dir, 'kurier.db'), { autocheckpoint: 1000, procedures: [missing] });
      let restarts = 0;
      thread.onRestart = () => restarts++;
      const query = CompiledQuery.raw('select 1');
      await expect(thread.executeQuery(query)).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 300));
      await expect(thread.run('send', [])).rejects.toThrow();
      expect(restarts).toBe(0);
      // Through openDatabase, the start fails with the thread's error as the cause.
      const opening = openDatabase({ sqlitePath: join(dir, 'other.db') }, { procedures: [missing] });
      await expect(opening).rejects.toMatchObject({ message: 'database migration failed', cause: expect.any(Error) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
