import { createHmac } from 'node:crypto';
import type { VisitorConversation, VisitorSession, WidgetConfig } from '@kurier/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createInbox,
  createOwner,
  createStaff,
  createTeam,
  createVisitor,
  newClient,
  type TestUser,
  until,
} from '../../../../test/factories.js';
import { DIALECTS, dialectAvailable, startServer, type TestServer } from '../../../../test/harness.js';

const form = { name: 'Eva Kundin', email: 'eva@example.com', consent: true, locale: 'de' };

describe.each(DIALECTS)('web chat widget on %s', (dialect) => {
  let server: TestServer;
  let owner: TestUser;
  let ana: TestUser;

  beforeEach(async (ctx) => {
    if (!dialectAvailable(dialect)) return ctx.skip();
    server = await startServer({ dialect, config: { widgetVisitorsPerMinute: 12 } });
    owner = await createOwner(server, 'owner');
    ana = await createStaff(server, owner, { username: 'ana', role: 'agent' });
  });

  afterEach(async () => {
    for (const u of [owner, ana]) u?.client.close();
    await server?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const contactCount = async () => (await owner.client.inbox.contacts({ limit: 200 })).contacts.length;

  it('V1: the public config says whether the team is in; a closed inbox answers with the away reply', async () => {
    const always = await createInbox(owner, { name: 'Immer da' });
    const res = await fetch(`${server.url}/api/v1/widget/${always.widgetKey}`);
    const { config } = (await res.json()) as { config: WidgetConfig };
    expect(config).toMatchObject({ name: 'Immer da', open: true, nextOpenAt: null, replyTime: 'minutes' });
    expect(config.greeting.de).toContain('Hallo');
    expect(JSON.stringify(config)).not.toContain(always.identitySecret);

    // Open only on a weekday that is not today (in UTC), so it is closed now.
    const day = (new Date().getUTCDay() + 3) % 7;
    const closed = await createInbox(owner, {
      name: 'Geschlossen',
      settings: { businessHours: { timeZone: 'Europe/Berlin', windows: [{ day, from: '09:00', to: '17:00' }] } },
    });
    const c = (
      (await (await fetch(`${server.url}/api/v1/widget/${closed.widgetKey}`)).json()) as { config: WidgetConfig }
    ).config;
    expect(c.open).toBe(false);
    expect(c.nextOpenAt).toBeGreaterThan(Date.now());
    expect(new Date(c.nextOpenAt as number).getUTCDay()).toBe(day);
    const eva = await createVisitor(server, closed.widgetKey);
    const started = await eva.start('Hallo?');
    const history = await eva.client.history(started.conversation.id);
    // The away reply, and no place in the queue: nobody is there to count it down.
    expect(history.messages.map((m) => m.system?.event ?? m.text)).toEqual(['Hallo?', 'auto_reply']);
    expect(history.messages[1]?.system).toEqual({ event: 'auto_reply', reply: 'away', position: null });
    eva.client.close();
  });

  it('V2: bad input on public endpoints gets typed errors and stores nothing', async () => {
    const inbox = await createInbox(owner, {
      settings: {
        preChatFields: [{ key: 'order', label: { de: 'Bestellnummer', en: 'Order number' }, required: true }],
      },
    });
    const key = inbox.widgetKey;
    const bad = await fetch(`${server.url}/api/v1/widget/wk_nope`);
    expect(bad.status).toBe(404);
    expect(await bad.json()).toMatchObject({ error: { code: 'WIDGET_KEY_INVALID' } });
    const cases: [unknown, number, string][] = [
      [{ ...form, fields: { order: '42' }, website: 'http://spam.example' }, 400, 'SPAM_SUSPECTED'],
      [{ ...form, fields: { order: '42' }, consent: false }, 400, 'VALIDATION_FAILED'],
      [{ ...form, fields: {} }, 400, 'VALIDATION_FAILED'],
      [{ ...form, fields: { order: '42' }, email: 'not-an-address' }, 400, 'VALIDATION_FAILED'],
      [{ ...form, fields: { order: '42' }, name: 7 }, 400, 'VALIDATION_FAILED'],
      ['{"name":', 400, 'MALFORMED_JSON'],
      [{ ...form, fields: { order: 'x'.repeat(20_000) } }, 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(`/api/v1/widget/${key}/visitors`, body);
      expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([status, code]);
    }
    expect(await contactCount()).toBe(0);

    const ok = await post(`/api/v1/widget/${key}/visitors`, { ...form, fields: { order: '42', unknown: 'x' } });
    expect(ok.status).toBe(201);
    const session = (await ok.json()) as VisitorSession;
    const detail = await owner.client.inbox.contact(session.contactId);
    expect(detail.contact.attributes).toEqual({ order: '42' });
    expect(detail.consents).toEqual([
      expect.objectContaining({ purpose: 'chat', source: `widget:${inbox.id}`, text: inbox.settings.privacyNotice.de }),
    ]);

    // A visitor's token works on the visitor's routes, a staff token does not, no token neither.
    const start = (token: string | null, body: unknown) =>
      post(`/api/v1/widget/${key}/conversations`, body, token ? { authorization: `Bearer ${token}` } : {});
    expect((await start(null, { text: 'x', clientMsgId: 'a1' })).status).toBe(401);
    expect((await start(owner.token, { text: 'x', clientMsgId: 'a1' })).status).toBe(403);
    expect((await start(session.token, { text: '', clientMsgId: 'a1' })).status).toBe(400);
    const first = await start(session.token, { text: 'Wo ist Bestellung 42?', clientMsgId: 'a1' });
    expect(first.status).toBe(201);
    // A retry of the same form submission returns the same conversation, not a second one.
    const retry = await start(session.token, { text: 'Wo ist Bestellung 42?', clientMsgId: 'a1' });
    type Started = { conversation: VisitorConversation };
    const [a, b] = [(await first.json()) as Started, (await retry.json()) as Started];
    expect(b.conversation.conversation.id).toBe(a.conversation.conversation.id);
  });

  it('V3: pre-chat forms are rate-limited per address', async () => {
    const inbox = await createInbox(owner);
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await post(`/api/v1/widget/${inbox.widgetKey}/visitors`, form)).status);
    expect(statuses.slice(0, 12)).toEqual(Array(12).fill(201));
    expect(statuses.slice(12)).toEqual([429, 429]);
    const limited = await post(`/api/v1/widget/${inbox.widgetKey}/visitors`, form);
    expect(await limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
  });

  it('V4: a verified visitor keeps their history on another device; a forged hash is refused', async () => {
    const inbox = await createInbox(owner);
    const hash = (id: string) => createHmac('sha256', inbox.identitySecret).update(id).digest('hex');
    const identity = { externalId: 'shop-user-77', hash: hash('shop-user-77') };
    const laptop = await post(`/api/v1/widget/${inbox.widgetKey}/visitors`, { ...form, identity });
    const phone = await post(`/api/v1/widget/${inbox.widgetKey}/visitors`, { ...form, identity });
    const [l, p] = [(await laptop.json()) as VisitorSession, (await phone.json()) as VisitorSession];
    expect(p.contactId).toBe(l.contactId);
    expect(p.token).not.toBe(l.token);
    const laptopClient = newClient(server, { token: l.token });
    await laptopClient.request('POST', `/api/v1/widget/${inbox.widgetKey}/conversations`, {
      text: 'vom Laptop',
      clientMsgId: 'l1',
    });
    const phoneClient = newClient(server, { token: p.token });
    const { conversations } = await phoneClient.request<{ conversations: VisitorConversation[] }>(
      'GET',
      `/api/v1/widget/${inbox.widgetKey}/conversations`,
    );
    expect(conversations.map((c) => c.lastMessage?.text ?? c.lastMessage?.system?.event)).toHaveLength(1);
    const history = await phoneClient.history(conversations[0]?.conversation.id as string);
    expect(history.messages[0]?.text).toBe('vom Laptop');

    const forged = await post(`/api/v1/widget/${inbox.widgetKey}/visitors`, {
      ...form,
      identity: { externalId: 'shop-user-77', hash: hash('shop-user-78') },
    });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: { code: 'IDENTITY_INVALID' } });
    // Without identity the same e-mail is a new contact: typing someone's address proves nothing.
    const anonymous = (await (await post(`/api/v1/widget/${inbox.widgetKey}/visitors`, form)).json()) as VisitorSession;
    expect(anonymous.contactId).not.toBe(l.contactId);
    laptopClient.close();
    phoneClient.close();
  });

  it('V5: blocking a contact closes their live connection and refuses the verified identity', async () => {
    const inbox = await createInbox(owner);
    const externalId = 'shop-user-9';
    const identity = { externalId, hash: createHmac('sha256', inbox.identitySecret).update(externalId).digest('hex') };
    const session = (await (
      await post(`/api/v1/widget/${inbox.widgetKey}/visitors`, { ...form, identity })
    ).json()) as VisitorSession;
    const client = newClient(server, { token: session.token });
    const widget = client.widget(inbox.widgetKey);
    await widget.startConversation('Erste Nachricht', 'b1');
    await client.connect();
    const states: string[] = [];
    client.on('state', (s) => states.push(s.status));
    await owner.client.inbox.updateContact(session.contactId, { blocked: true });
    await until(() => states.includes('closed'), 'the blocked visitor is disconnected');
    await expect(widget.startConversation('Noch eine', 'b2')).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    const again = await post(`/api/v1/widget/${inbox.widgetKey}/visitors`, { ...form, identity });
    expect(again.status).toBe(403);
    expect(await again.json()).toMatchObject({ error: { code: 'CONTACT_BLOCKED' } });
    client.close();
  });

  it('V6: the customer rates a resolved conversation once; staff see it', async () => {
    const team = await createTeam(owner, 'Support', [ana]);
    const inbox = await createInbox(owner, { teams: [team], settings: { autoAssign: false } });
    const eva = await createVisitor(server, inbox.widgetKey);
    const id = (await eva.start('Frage')).conversation.id;
    const csat = (body: unknown, token = eva.session.token) =>
      post(`/api/v1/widget/${inbox.widgetKey}/conversations/${id}/csat`, body, { authorization: `Bearer ${token}` });
    expect(await (await csat({ score: 5 })).json()).toMatchObject({ error: { code: 'CONFLICT' } });
    await ana.client.inbox.assign(id, ana.id);
    await ana.client.inbox.setStatus(id, { status: 'resolved' });
    expect((await csat({ score: 9 })).status).toBe(400);
    const other = await createVisitor(server, inbox.widgetKey, { name: 'Max' });
    expect(await (await csat({ score: 4 }, other.session.token)).json()).toMatchObject({
      error: { code: 'CONVERSATION_NOT_FOUND' },
    });
    const rated = await csat({ score: 4, comment: 'Schnell und freundlich' });
    expect(rated.status).toBe(200);
    expect(((await rated.json()) as { conversation: VisitorConversation }).conversation.csatScore).toBe(4);
    expect(await (await csat({ score: 5 })).json()).toMatchObject({ error: { code: 'CONFLICT' } });
    expect(await ana.client.inbox.get(id)).toMatchObject({ csatScore: 4, csatComment: 'Schnell und freundlich' });
    eva.client.close();
    other.client.close();
  });
});
