import type { InboxEntry, Message } from '@kurier/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createInbox,
  createOwner,
  createStaff,
  createTeam,
  createVisitor,
  rawSocket,
  type TestUser,
  type TestVisitor,
  until,
} from '../../../../test/factories.js';
import { DIALECTS, dialectAvailable, startServer, type TestServer } from '../../../../test/harness.js';

describe.each(DIALECTS)('team inbox on %s', (dialect) => {
  let server: TestServer;
  let owner: TestUser;
  let ana: TestUser;
  let bo: TestUser;
  const visitors: TestVisitor[] = [];

  beforeEach(async (ctx) => {
    if (!dialectAvailable(dialect)) return ctx.skip();
    server = await startServer({ dialect });
    owner = await createOwner(server, 'owner');
    ana = await createStaff(server, owner, { username: 'ana', role: 'agent' });
    bo = await createStaff(server, owner, { username: 'bo', role: 'agent' });
  });

  afterEach(async () => {
    for (const c of [owner, ana, bo, ...visitors]) c?.client.close();
    visitors.length = 0;
    await server?.close();
  });

  async function visitor(key: string, name = 'Eva Kundin'): Promise<TestVisitor> {
    const v = await createVisitor(server, key, { name, email: `${name.split(' ')[0]?.toLowerCase()}@example.com` });
    visitors.push(v);
    return v;
  }

  it('I1: a customer writes, waits in the queue, an agent takes it and answers; first response is recorded', async () => {
    const team = await createTeam(owner, 'Support', [ana, bo]);
    const inbox = await createInbox(owner, { teams: [team] });
    const eva = await visitor(inbox.widgetKey);
    const started = await eva.start('Hallo, meine Bestellung fehlt.');
    const id = started.conversation.id;
    expect(started.status).toBe('open');
    // Nobody is online: the customer learns their place in the queue.
    expect(started.lastMessage?.system).toEqual({ event: 'auto_reply', reply: 'queue', position: 1 });
    const replies = (await eva.client.history(id)).messages.flatMap((m) =>
      m.system?.event === 'auto_reply' ? [m.system.reply] : [],
    );
    expect(replies).toEqual(['greeting', 'queue']);

    const unassigned = await ana.client.inbox.view({ view: 'unassigned' });
    expect(unassigned.items.map((i) => i.conversationId)).toEqual([id]);
    expect(unassigned.items[0]?.contact.name).toBe('Eva Kundin');
    expect(unassigned.items[0]?.waitingSince).not.toBeNull();

    await eva.client.connect();
    const seen: Message[] = [];
    eva.client.on('message', (m) => seen.push(m));
    await ana.client.connect();
    const taken = await ana.client.inbox.assign(id, ana.id);
    expect(taken.assigneeId).toBe(ana.id);
    await until(() => seen.some((m) => m.system?.event === 'assigned'), 'the customer sees who took it');
    expect(seen.find((m) => m.system?.event === 'assigned')?.system).toEqual({
      event: 'assigned',
      userId: ana.id,
      displayName: 'Ana',
    });

    const reply = await ana.client.send(id, 'Guten Tag! Ich sehe nach.');
    await until(() => seen.some((m) => m.id === reply.id), 'the customer receives the answer live');
    const after = await ana.client.inbox.get(id);
    expect(after.firstResponseAt).toBe(reply.createdAt);
    expect(after.waitingSince).toBeNull();
    expect((await ana.client.inbox.view({ view: 'mine' })).items.map((i) => i.conversationId)).toEqual([id]);
    expect((await ana.client.inbox.view({ view: 'unassigned' })).items).toEqual([]);

    // The customer writes again: the clock runs again, the owner stays.
    const again = await eva.client.send(id, 'Danke!');
    await until(async () => (await ana.client.inbox.get(id)).waitingSince === again.createdAt, 'waiting again');
  });

  it('I2: private notes reach staff, never the customer (live, sync or history)', async () => {
    const team = await createTeam(owner, 'Support', [ana, bo]);
    const inbox = await createInbox(owner, { teams: [team] });
    const eva = await visitor(inbox.widgetKey);
    const id = (await eva.start('Frage zur Rechnung')).conversation.id;
    await ana.client.inbox.assign(id, ana.id);
    await Promise.all([eva.client.connect(), bo.client.connect(), ana.client.connect()]);
    const evaSaw: Message[] = [];
    const boSaw: Message[] = [];
    eva.client.on('message', (m) => evaSaw.push(m));
    bo.client.on('message', (m) => boSaw.push(m));

    const note = await ana.client.send(id, 'Kunde hat zweimal bezahlt, @bo bitte prüfen', { note: true });
    expect(note.type).toBe('note');
    const reply = await ana.client.send(id, 'Wir prüfen das.');
    await until(() => evaSaw.some((m) => m.id === reply.id), 'the reply reaches the customer');
    await until(() => boSaw.some((m) => m.id === note.id), 'the note reaches a watching colleague');
    expect(evaSaw.some((m) => m.id === note.id)).toBe(false);

    const history = await eva.client.request<{ messages: Message[] }>('GET', `/api/v1/conversations/${id}/messages`);
    expect(history.messages.some((m) => m.type === 'note')).toBe(false);
    const staffHistory = await bo.client.request<{ messages: Message[] }>(
      'GET',
      `/api/v1/conversations/${id}/messages`,
    );
    expect(staffHistory.messages.some((m) => m.id === note.id)).toBe(true);

    // A fresh device of the customer catches up from the start: still no note.
    const fresh = (await import('../../../../test/factories.js')).newClient(server, { token: eva.session.token });
    const synced: Message[] = [];
    fresh.on('message', (m) => synced.push(m));
    await fresh.connect({ fromCursor: 0 });
    expect(synced.some((m) => m.id === reply.id)).toBe(true);
    expect(synced.some((m) => m.type === 'note')).toBe(false);
    fresh.close();

    await expect(eva.client.send(id, 'ich auch', { note: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const direct = await ana.client.createConversation({ kind: 'direct', userId: bo.id });
    await expect(ana.client.send(direct.conversation.id, 'x', { note: true })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('I3: agents see only inboxes their teams serve; customers only their own conversations', async () => {
    const sales = await createTeam(owner, 'Vertrieb', [ana]);
    const billing = await createTeam(owner, 'Buchhaltung', [bo]);
    const shop = await createInbox(owner, { name: 'Shop', teams: [sales] });
    const invoices = await createInbox(owner, { name: 'Rechnungen', teams: [billing] });
    const eva = await visitor(shop.widgetKey);
    const max = await visitor(invoices.widgetKey, 'Max Muster');
    const evaId = (await eva.start('Shop-Frage')).conversation.id;
    const maxId = (await max.start('Rechnungsfrage')).conversation.id;

    expect((await ana.client.inbox.view({ view: 'all' })).items.map((i) => i.conversationId)).toEqual([evaId]);
    expect((await bo.client.inbox.view({ view: 'all' })).items.map((i) => i.conversationId)).toEqual([maxId]);
    expect((await owner.client.inbox.view({ view: 'all' })).items.map((i) => i.conversationId).sort()).toEqual(
      [evaId, maxId].sort(),
    );
    await expect(ana.client.inbox.get(maxId)).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    await expect(ana.client.inbox.assign(maxId, ana.id)).rejects.toMatchObject({
      code: 'CONVERSATION_NOT_FOUND',
    });
    await expect(ana.client.history(maxId)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    // Nor can someone outside the inbox's teams be made its owner.
    await expect(owner.client.inbox.assign(maxId, ana.id)).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
    });
    const counts = await ana.client.inbox.counts();
    expect(counts).toMatchObject({ all: 1, unassigned: 1, mine: 0 });

    // The customer's session is for their own conversations only.
    await expect(eva.client.history(maxId)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    await expect(eva.client.history(evaId)).resolves.toBeTruthy();
    for (const path of ['/api/v1/conversations', '/api/v1/users', '/api/v1/inbox/conversations', '/api/v1/contacts']) {
      await expect(eva.client.request('GET', path)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
    await expect(eva.client.createConversation({ kind: 'direct', userId: ana.id })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    // And staff cannot put a customer into a group.
    const group = await owner.client.createConversation({ kind: 'group', name: 'Intern', memberIds: [] });
    await expect(owner.client.addMembers(group.conversation.id, [eva.session.contactId])).rejects.toMatchObject({
      code: 'USER_NOT_FOUND',
    });
  });

  it('I4: staff coming online write nothing while no inbox assigns by itself, and are routed to once one does', async () => {
    const head = () =>
      server.kurier.database.db
        .selectFrom('counters')
        .select('value')
        .where('name', '=', 'change')
        .executeTakeFirstOrThrow();
    const before = await head();
    await ana.client.connect();
    await bo.client.connect();
    await server.kurier.routingIdle();
    // Each routing pass took a change id and an fsync, even without a team inbox.
    expect(await head()).toEqual(before);
    ana.client.close();
    const team = await createTeam(owner, 'Support', [ana]);
    const inbox = await createInbox(owner, { teams: [team] });
    const eva = await visitor(inbox.widgetKey);
    const started = await eva.start('Hallo?');
    // Nobody was online: it waits in the queue.
    expect(started.lastMessage?.system).toMatchObject({ reply: 'queue' });
    await ana.client.connect();
    await until(
      async () =>
        (await ana.client.inbox.view({ view: 'mine' })).items.some((i) => i.conversationId === started.conversation.id),
      'the waiting conversation routed to Ana once she is online',
    );
  });

  it('I4: 50 conversations at once, 5 agents with capacity 3: 15 assigned once each, 35 queued, then drained in order', async () => {
    const agents = [ana, bo];
    for (const name of ['cem', 'dora', 'emil'])
      agents.push(await createStaff(server, owner, { username: name, role: 'agent' }));
    const team = await createTeam(owner, 'Support', agents);
    const inbox = await createInbox(owner, { teams: [team], settings: { queueMessage: false } });
    for (const a of agents) await owner.client.inbox.setCapacity(a.id, 3);
    await Promise.all(agents.map((a) => a.client.connect()));

    const customers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => visitor(inbox.widgetKey, `Kunde ${String(i).padStart(2, '0')}`)),
    );
    const started = await Promise.all(customers.map((c) => c.start(`Anfrage von ${c.session.contactId}`)));
    await server.kurier.routingIdle();

    const all = await owner.client.inbox.view({ view: 'all', limit: 100 });
    expect(all.items).toHaveLength(50);
    const owned = all.items.filter((i) => i.assigneeId !== null);
    expect(owned).toHaveLength(15);
    const perAgent = new Map<string, number>();
    for (const i of owned) perAgent.set(i.assigneeId as string, (perAgent.get(i.assigneeId as string) ?? 0) + 1);
    expect([...perAgent.values()]).toEqual([3, 3, 3, 3, 3]);
    for (const s of started) {
      const history = await owner.client.request<{ messages: Message[] }>(
        'GET',
        `/api/v1/conversations/${s.conversation.id}/messages`,
      );
      // Never assigned twice: at most one announcement, and the owner is the only staff member.
      const assigned = history.messages.filter((m) => m.system?.event === 'assigned');
      expect(assigned.length).toBeLessThanOrEqual(1);
    }
    const queued = await owner.client.inbox.view({ view: 'unassigned', limit: 100 });
    expect(queued.items).toHaveLength(35);

    // Each agent resolves one: five conversations leave the queue, none waiting less long than
    // any that stays (conversations that arrived in the same millisecond may go either way).
    const queuedIds = new Set(queued.items.map((i) => i.conversationId));
    const waitKey = (i: InboxEntry) => [i.waitingSince ?? 0, i.createdAt] as const;
    const notLater = (a: InboxEntry, b: InboxEntry) => {
      const [x, y] = [waitKey(a), waitKey(b)];
      return x[0] < y[0] || (x[0] === y[0] && x[1] <= y[1]);
    };
    for (const a of agents) {
      const mine = owned.find((i) => i.assigneeId === a.id) as InboxEntry;
      await a.client.inbox.setStatus(mine.conversationId, { status: 'resolved' });
    }
    await server.kurier.routingIdle();
    const after = await owner.client.inbox.view({ view: 'unassigned', limit: 100 });
    expect(after.items).toHaveLength(30);
    const nowOwned = (await owner.client.inbox.view({ view: 'all', limit: 100 })).items.filter(
      (i) => i.assigneeId !== null,
    );
    expect(nowOwned).toHaveLength(15);
    const taken = nowOwned.filter((i) => queuedIds.has(i.conversationId));
    expect(taken).toHaveLength(5);
    for (const t of taken) for (const q of after.items) expect(notLater(t, q)).toBe(true);
  });

  it('I5: two agents taking the same conversation at once: exactly one owns it', async () => {
    const team = await createTeam(owner, 'Support', [ana, bo]);
    const inbox = await createInbox(owner, { teams: [team], settings: { autoAssign: false } });
    const eva = await visitor(inbox.widgetKey);
    const id = (await eva.start('Wer hilft mir?')).conversation.id;
    const results = await Promise.allSettled([ana.client.inbox.assign(id, ana.id), bo.client.inbox.assign(id, bo.id)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'ALREADY_ASSIGNED' });
    const owner1 = (await owner.client.inbox.get(id)).assigneeId;
    const detail = await owner.client.request<{ members: { userId: string; leftAt: number | null }[] }>(
      'GET',
      `/api/v1/conversations/${id}`,
    );
    expect(
      detail.members
        .filter((m) => m.leftAt === null)
        .map((m) => m.userId)
        .sort(),
    ).toEqual([eva.session.contactId, owner1].sort());
    // The owner may hand it over; an admin may reassign it.
    const winner = owner1 === ana.id ? ana : bo;
    const other = owner1 === ana.id ? bo : ana;
    await winner.client.inbox.assign(id, other.id);
    await owner.client.inbox.assign(id, winner.id);
    expect((await owner.client.inbox.get(id)).assigneeId).toBe(winner.id);

    // A colleague joins to write alongside the owner without taking it; writing needs that.
    await other.client.connect();
    await expect(other.client.send(id, 'Ich schaue mit.')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    const joined = await other.client.inbox.join(id);
    expect(joined.assigneeId).toBe(winner.id);
    await expect(other.client.send(id, 'Ich schaue mit.')).resolves.toMatchObject({ senderId: other.id });
    // Someone outside the inbox's teams learns nothing.
    const cem = await createStaff(server, owner, { username: 'cem', role: 'agent' });
    await expect(cem.client.inbox.join(id)).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    cem.client.close();
  });

  it('I18: one batch with sends to a customer and to a colleague: each answered with its own message', async () => {
    const team = await createTeam(owner, 'Support', [ana, bo]);
    const inbox = await createInbox(owner, { teams: [team] });
    const customer = (await (await visitor(inbox.widgetKey)).start('Hallo')).conversation.id;
    await ana.client.inbox.assign(customer, ana.id);
    const colleague = (await ana.client.createConversation({ kind: 'direct', userId: bo.id })).conversation.id;
    // On SQLite the customer's sends leave the thread's batch for the inbox's own transaction, so
    // the thread answers for the colleague's sends by their place among all the items.
    const socket = await rawSocket(server, ana.token);
    const sends = [customer, colleague, customer, colleague, colleague].map((conversationId, i) => ({
      type: 'send',
      id: `s${i}`,
      conversationId,
      clientMsgId: `c${i}`,
      text: `Nachricht ${i}`,
    }));
    for (const send of sends) socket.send(send);
    for (const _ of sends) {
      const ack = await socket.next('ack');
      const send = sends.find((s) => s.id === ack.id);
      expect(ack.message).toMatchObject({
        conversationId: send?.conversationId,
        text: send?.text,
        clientMsgId: send?.clientMsgId,
      });
    }
    const texts = async (id: string) =>
      (await ana.client.history(id)).messages.flatMap((m) => (m.system ? [] : [m.text]));
    expect(await texts(colleague)).toEqual(['Nachricht 1', 'Nachricht 3', 'Nachricht 4']);
    expect(await texts(customer)).toEqual(['Hallo', 'Nachricht 0', 'Nachricht 2']);
    socket.ws.close();
  });

  it('I17: inbox setup refuses bad input and non-admins, and changes nothing then', async () => {
    const team = await createTeam(owner, 'Support', [ana]);
    const inbox = await createInbox(owner, { teams: [team] });
    const err = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code: string }) => e.code,
      );
    const post = (user: TestUser, path: string, body: unknown) => user.client.request('POST', path, body);
    expect(await err(post(ana, '/api/v1/inboxes', { name: 'Nope' }))).toBe('FORBIDDEN');
    expect(await err(post(ana, '/api/v1/teams', { name: 'Nope' }))).toBe('FORBIDDEN');
    expect(await err(ana.client.inbox.setCapacity(bo.id, 3))).toBe('FORBIDDEN');
    expect(await err(post(owner, '/api/v1/inboxes', { name: 'Zwei', slug: inbox.slug }))).toBe('CONFLICT');
    expect(await err(post(owner, '/api/v1/inboxes', { name: 'Zwei', teamIds: ['t_ghost'] }))).toBe('TEAM_NOT_FOUND');
    expect(await err(post(owner, '/api/v1/teams', { name: 'Zwei', memberIds: ['u_ghost'] }))).toBe('USER_NOT_FOUND');
    const badHours = { businessHours: { timeZone: 'Mars/Olympus', windows: [] } };
    expect(await err(post(owner, '/api/v1/inboxes', { name: 'Zwei', settings: badHours }))).toBe('VALIDATION_FAILED');
    const reversed = {
      businessHours: { timeZone: 'Europe/Berlin', windows: [{ day: 1, from: '17:00', to: '09:00' }] },
    };
    expect(await err(post(owner, '/api/v1/inboxes', { name: 'Zwei', settings: reversed }))).toBe('VALIDATION_FAILED');
    expect(await err(owner.client.inbox.setCapacity(ana.id, 101))).toBe('VALIDATION_FAILED');
    expect(await err(owner.client.request('PATCH', '/api/v1/inboxes/ib_ghost', { name: 'X' }))).toBe('INBOX_NOT_FOUND');
    expect((await owner.client.inbox.inboxes()).map((i) => i.name)).toEqual(['Support']);
    expect((await owner.client.inbox.teams()).map((t) => t.name)).toEqual(['Support']);

    // Settings are merged field by field: changing the colour keeps the greeting.
    const { inbox: patched } = await owner.client.request<{ inbox: typeof inbox }>(
      'PATCH',
      `/api/v1/inboxes/${inbox.id}`,
      {
        settings: { color: '#ff0000' },
      },
    );
    expect(patched.settings).toMatchObject({ color: '#ff0000', greeting: inbox.settings.greeting });

    await ana.client.inbox.createCannedReply({ shortcut: 'hallo', text: 'Hallo!' });
    expect(await err(ana.client.inbox.createCannedReply({ shortcut: 'hallo', text: 'Noch mal' }))).toBe('CONFLICT');
    expect(await err(ana.client.inbox.createCannedReply({ shortcut: 'Mit Leerzeichen', text: 'x' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await err(ana.client.request('DELETE', '/api/v1/canned-replies/cr_ghost'))).toBe('NOT_FOUND');
    expect((await ana.client.inbox.cannedReplies()).map((c) => c.text)).toEqual(['Hallo!']);
  });

  it('I6: statuses, snooze, labels and counts; a customer message reopens', async () => {
    const team = await createTeam(owner, 'Support', [ana]);
    const inbox = await createInbox(owner, { teams: [team], settings: { autoAssign: false } });
    const eva = await visitor(inbox.widgetKey);
    const id = (await eva.start('Status bitte')).conversation.id;
    await ana.client.inbox.assign(id, ana.id);
    await ana.client.inbox.setLabels(id, ['Rechnung', 'vip']);
    let counts = await ana.client.inbox.counts();
    expect(counts).toMatchObject({ mine: 1, unassigned: 0, all: 1, byLabel: { rechnung: 1, vip: 1 } });
    expect((await ana.client.inbox.view({ label: 'vip' })).items.map((i) => i.conversationId)).toEqual([id]);

    await expect(ana.client.inbox.setStatus(id, { status: 'snoozed' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      ana.client.inbox.setStatus(id, { status: 'snoozed', snoozedUntil: Date.now() - 1 }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const snoozed = await ana.client.inbox.setStatus(id, { status: 'snoozed', snoozedUntil: Date.now() + 3_600_000 });
    expect(snoozed.status).toBe('snoozed');
    counts = await ana.client.inbox.counts();
    expect(counts).toMatchObject({ mine: 0, all: 0, byStatus: { snoozed: 1, open: 0 } });

    await eva.client.connect();
    await eva.client.send(id, 'Noch da?');
    await until(async () => (await ana.client.inbox.get(id)).status === 'open', 'the customer reopens it');
    const resolved = await ana.client.inbox.setStatus(id, { status: 'resolved' });
    expect(resolved.resolvedAt).not.toBeNull();
    await eva.client.send(id, 'Eine Sache noch');
    await until(async () => (await ana.client.inbox.get(id)).status === 'open', 'reopened after resolve');
    expect((await ana.client.inbox.get(id)).assigneeId).toBe(ana.id);
  });

  it('I7: transfer to a team puts the conversation in that team’s queue and routing picks from it', async () => {
    const first = await createTeam(owner, 'First level', [ana]);
    const second = await createTeam(owner, 'Second level', [bo]);
    const inbox = await createInbox(owner, { teams: [first, second] });
    await ana.client.connect();
    const eva = await visitor(inbox.widgetKey);
    const id = (await eva.start('Technisches Problem')).conversation.id;
    await server.kurier.routingIdle();
    expect((await ana.client.inbox.get(id)).assigneeId).toBe(ana.id);

    const moved = await ana.client.inbox.transfer(id, second.id);
    expect(moved).toMatchObject({ assigneeId: null, teamId: second.id });
    await server.kurier.routingIdle();
    // Ana is online with capacity, but the conversation now waits for the second level.
    expect((await owner.client.inbox.get(id)).assigneeId).toBeNull();
    await bo.client.connect();
    await until(
      async () => (await owner.client.inbox.get(id)).assigneeId === bo.id,
      'second level takes it when online',
    );
    const stranger = await createTeam(owner, 'Other', []);
    await expect(owner.client.inbox.transfer(id, stranger.id)).rejects.toMatchObject({ code: 'TEAM_NOT_FOUND' });
  });
});
