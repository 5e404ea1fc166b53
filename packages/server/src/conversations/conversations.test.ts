import { type Change, LIMITS, type Message, MUTED_FOREVER } from '@kurier/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOwner, createUser, secondDevice, type TestUser, until } from '../../../../test/factories.js';
import { DIALECTS, dialectAvailable, startServer, type TestServer } from '../../../../test/harness.js';

describe.each(DIALECTS)('conversations on %s', (dialect) => {
  let server: TestServer;
  let anna: TestUser;
  let ben: TestUser;
  let carl: TestUser;

  beforeEach(async (ctx) => {
    if (!dialectAvailable(dialect)) return ctx.skip();
    server = await startServer({ dialect });
    anna = await createOwner(server, 'anna');
    ben = await createUser(server, anna, 'ben');
    carl = await createUser(server, anna, 'carl');
  });

  afterEach(async () => {
    for (const u of [anna, ben, carl]) u?.client.close();
    await server?.close();
  });

  it('C1: a direct chat is unique per pair, whoever starts it', async () => {
    const a = await anna.client.createConversation({ kind: 'direct', userId: ben.id });
    const b = await ben.client.createConversation({ kind: 'direct', userId: anna.id });
    expect(b.conversation.id).toBe(a.conversation.id);
    expect(a.members.map((m) => m.userId).sort()).toEqual([anna.id, ben.id].sort());
    await expect(anna.client.createConversation({ kind: 'direct', userId: anna.id })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(anna.client.createConversation({ kind: 'direct', userId: 'u_ghost' })).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
    });
    const list = await ben.client.conversations();
    expect(list.map((c) => c.conversation.id)).toEqual([a.conversation.id]);
  });

  it('C2: a group announces creation, renames, member changes and role changes as system messages', async () => {
    const group = await anna.client.createConversation({ kind: 'group', name: 'Vertrieb', memberIds: [ben.id] });
    const id = group.conversation.id;
    expect(group.members.find((m) => m.userId === anna.id)?.role).toBe('admin');
    await anna.client.rename(id, 'Vertrieb DACH');
    await anna.client.addMembers(id, [carl.id, ben.id]);
    await anna.client.request('PATCH', `/api/v1/conversations/${id}/members/${ben.id}`, { role: 'admin' });
    await anna.client.removeMember(id, carl.id);
    const page = await ben.client.history(id);
    expect(page.messages.map((m) => m.system)).toEqual([
      { event: 'created', name: 'Vertrieb' },
      { event: 'renamed', name: 'Vertrieb DACH' },
      { event: 'member_added', userIds: [carl.id] },
      { event: 'role_changed', userId: ben.id, role: 'admin' },
      { event: 'member_removed', userIds: [carl.id] },
    ]);
    expect(page.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    await expect(carl.client.history(id)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
  });

  it('C3: only admins manage a group; members may leave, and the group keeps an admin', async () => {
    const { conversation } = await anna.client.createConversation({
      kind: 'group',
      name: 'Team',
      memberIds: [ben.id, carl.id],
    });
    await expect(ben.client.rename(conversation.id, 'Mine now')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(ben.client.removeMember(conversation.id, carl.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(ben.client.addMembers(conversation.id, [anna.id])).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const after = await anna.client.removeMember(conversation.id, anna.id);
    const admins = after.members.filter((m) => m.leftAt === null && m.role === 'admin').map((m) => m.userId);
    expect(admins).toHaveLength(1);
    await anna.client.connect();
    await expect(anna.client.send(conversation.id, 'still here?')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    await expect(anna.client.rename('c_missing', 'x')).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
  });

  it('C4: members learn of group changes live; a removed member learns of the removal', async () => {
    await carl.client.connect();
    const carlChanges: Change[] = [];
    carl.client.on('change', (c) => carlChanges.push(c));
    const { conversation } = await anna.client.createConversation({
      kind: 'group',
      name: 'Live',
      memberIds: [carl.id],
    });
    await until(
      () => carlChanges.some((c) => c.kind === 'conversation' && c.conversation.id === conversation.id),
      'group reaches carl',
    );
    await anna.client.removeMember(conversation.id, carl.id);
    await until(
      () => carlChanges.some((c) => c.kind === 'member' && c.member.userId === carl.id && c.member.leftAt !== null),
      'removal reaches carl',
    );
    const after = carlChanges.length;
    await anna.client.connect();
    await anna.client.send(conversation.id, 'after carl left');
    await new Promise((r) => setTimeout(r, 100));
    const leaked = carlChanges
      .slice(after)
      .filter((c): c is { kind: 'message'; message: Message } => c.kind === 'message');
    expect(leaked).toEqual([]);
  });

  it("C6: the chat list carries each conversation's newest message and the reader's unread count", async () => {
    const { conversation } = await anna.client.createConversation({ kind: 'direct', userId: ben.id });
    await anna.client.connect();
    await ben.client.connect();
    await anna.client.send(conversation.id, 'eins');
    await anna.client.send(conversation.id, 'zwei');
    const last = await anna.client.send(conversation.id, 'drei');
    await ben.client.send(conversation.id, 'gelesen?');
    const forBen = (await ben.client.conversations()).find((c) => c.conversation.id === conversation.id);
    expect(forBen?.lastMessage?.text).toBe('gelesen?');
    // Anna's three count for Ben; the creation notice and his own message do not.
    expect(forBen?.unread).toBe(3);
    const forAnna = (await anna.client.conversations()).find((c) => c.conversation.id === conversation.id);
    expect(forAnna?.unread).toBe(1);
    await ben.client.markRead(conversation.id, last.seq);
    expect((await ben.client.conversations()).find((c) => c.conversation.id === conversation.id)?.unread).toBe(0);
    const group = await carl.client.createConversation({ kind: 'group', name: 'Leer', memberIds: [ben.id] });
    const empty = (await ben.client.conversations()).find((c) => c.conversation.id === group.conversation.id);
    expect(empty).toMatchObject({ unread: 0 });
    expect(empty?.lastMessage?.type).toBe('system');
  });

  it('C7: pin, mute and archive are private to the user and reach all of their devices', async () => {
    const { conversation } = await anna.client.createConversation({ kind: 'direct', userId: ben.id });
    const id = conversation.id;
    const annaPhone = await secondDevice(server, anna);
    const phoneChanges: Change[] = [];
    annaPhone.on('change', (c) => phoneChanges.push(c));
    await annaPhone.connect();
    const benChanges: Change[] = [];
    ben.client.on('change', (c) => benChanges.push(c));
    await ben.client.connect();
    // A laptop that was online once and then away; it must catch up through sync.
    const laptop = await secondDevice(server, anna);
    await laptop.connect();
    laptop.close();

    const fresh = (await anna.client.conversations()).find((c) => c.conversation.id === id);
    expect(fresh?.prefs).toEqual({
      conversationId: id,
      pinnedAt: null,
      mutedUntil: null,
      archivedAt: null,
      changeId: 0,
    });

    const pinned = await anna.client.setChatPrefs(id, { pinned: true, mutedUntil: MUTED_FOREVER });
    expect(pinned.pinnedAt).toEqual(expect.any(Number));
    expect(pinned.mutedUntil).toBe(MUTED_FOREVER);
    await until(() => phoneChanges.some((c) => c.kind === 'prefs' && c.prefs.changeId === pinned.changeId), 'phone');

    // Archiving unpins; unmuting with a past time clears the mute.
    const archived = await anna.client.setChatPrefs(id, { archived: true, mutedUntil: 1 });
    expect(archived).toMatchObject({ pinnedAt: null, mutedUntil: null, archivedAt: expect.any(Number) });
    const listed = (await anna.client.conversations()).find((c) => c.conversation.id === id);
    expect(listed?.prefs).toEqual(archived);
    // Pinning takes it out of the archive again.
    expect(await anna.client.setChatPrefs(id, { pinned: true })).toMatchObject({ archivedAt: null });

    const synced: Change[] = [];
    laptop.on('change', (c) => synced.push(c));
    await laptop.connect();
    await until(() => synced.some((c) => c.kind === 'prefs'), 'laptop sync');
    expect(synced.filter((c) => c.kind === 'prefs').at(-1)).toMatchObject({ prefs: { pinnedAt: expect.any(Number) } });
    laptop.close();
    annaPhone.close();

    // Ben's stream and list never show Anna's choices.
    await ben.client.send(id, 'ping');
    await until(() => benChanges.some((c) => c.kind === 'message'), 'ben gets his own send');
    expect(benChanges.filter((c) => c.kind === 'prefs')).toEqual([]);
    expect((await ben.client.conversations())[0]?.prefs.changeId).toBe(0);
  });

  it('C7: pins are limited, and only members change prefs, with typed errors that change nothing', async () => {
    const ids: string[] = [];
    for (let i = 0; i <= LIMITS.pinnedChats; i++) {
      ids.push((await anna.client.createConversation({ kind: 'group', name: `G${i}`, memberIds: [] })).conversation.id);
    }
    for (const id of ids.slice(0, LIMITS.pinnedChats)) await anna.client.setChatPrefs(id, { pinned: true });
    const last = ids.at(-1) as string;
    await expect(anna.client.setChatPrefs(last, { pinned: true })).rejects.toMatchObject({ code: 'PIN_LIMIT_REACHED' });
    // Unpinning one frees a place; pinning an already pinned chat again is not a new pin.
    await anna.client.setChatPrefs(ids[0] as string, { pinned: true });
    await anna.client.setChatPrefs(ids[0] as string, { pinned: false });
    await anna.client.setChatPrefs(last, { pinned: true });

    await expect(ben.client.setChatPrefs(last, { archived: true })).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    await expect(ben.client.setChatPrefs('c_missing', { archived: true })).rejects.toMatchObject({
      code: 'CONVERSATION_NOT_FOUND',
    });
    for (const body of [
      {},
      { pinned: 'yes' },
      { pinned: true, archived: true },
      { colour: 'red' },
      { mutedUntil: -5 },
    ]) {
      await expect(anna.client.request('PATCH', `/api/v1/conversations/${last}/prefs`, body)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    }
    const rows = await server.kurier.database.db.selectFrom('chat_prefs').selectAll().execute();
    expect(rows.filter((r) => r.pinned_at !== null)).toHaveLength(LIMITS.pinnedChats);
    expect(rows.every((r) => r.user_id === anna.id)).toBe(true);
  });

  it('C5: bad bodies and unknown ids are typed errors that change nothing', async () => {
    await expect(anna.client.createConversation({ kind: 'group', name: '' } as never)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(anna.client.createConversation({ kind: 'channel' } as never)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      anna.client.createConversation({ kind: 'group', name: 'x', memberIds: ['u_nobody'] }),
    ).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
    });
    const count = await server.kurier.database.db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });
});
