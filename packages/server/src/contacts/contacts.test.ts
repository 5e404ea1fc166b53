import { createHmac } from 'node:crypto';
import type {
  Contact,
  ContactDetail,
  ContactImportResult,
  ConversationDetail,
  Member,
  VisitorSession,
} from '@kurier/protocol';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createInbox,
  createOwner,
  createStaff,
  createUser,
  createVisitor,
  type TestUser,
  type TestVisitor,
  until,
} from '../../../../test/factories.js';
import { DIALECTS, dialectAvailable, startServer, type TestServer } from '../../../../test/harness.js';

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

describe.each(DIALECTS)('contacts on %s', (dialect) => {
  let server: TestServer;
  let owner: TestUser;
  let ana: TestUser;
  const visitors: TestVisitor[] = [];

  beforeEach(async (ctx) => {
    if (!dialectAvailable(dialect)) return ctx.skip();
    server = await startServer({ dialect });
    owner = await createOwner(server, 'owner');
    ana = await createStaff(server, owner, { username: 'ana', role: 'agent' });
  });

  afterEach(async () => {
    for (const v of visitors.splice(0)) v.client.close();
    for (const u of [owner, ana]) u?.client.close();
    await server?.close();
  });

  const visitor = async (key: string, form: { name: string; email: string }) => {
    const v = await createVisitor(server, key, form);
    visitors.push(v);
    return v;
  };
  const merge = (user: TestUser, targetId: string, sourceId: string) =>
    user.client.request<ContactDetail>('POST', `/api/v1/contacts/${targetId}/merge`, { sourceId });
  const listed = async () => (await owner.client.inbox.contacts({ limit: 200 })).contacts;
  const importCsv = (body: string, { user = owner, type = 'text/csv; charset=utf-8', s = server } = {}) =>
    fetch(`${s.url}/api/v1/contacts/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': type },
      body,
    });
  const imported = async (body: string, { user = owner, s = server } = {}) => {
    const res = await importCsv(body, { user, s });
    expect(res.status).toBe(200);
    return (await res.json()) as ContactImportResult;
  };
  const exportCsv = (user = owner, s = server) =>
    fetch(`${s.url}/api/v1/contacts/export.csv`, { headers: { authorization: `Bearer ${user.token}` } });
  /** The export's rows as objects by header; the byte order mark is checked and dropped. */
  const exported = async (user = owner, s = server) => {
    const res = await exportCsv(user, s);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(1);
    return { res, text, rows: parse(text, { columns: true }) as Record<string, string>[] };
  };
  const errorOf = async (res: Response) => [res.status, ((await res.json()) as ErrorBody).error.code];

  it('K1: a merge moves the duplicate’s conversations and membership; its sessions end', async () => {
    const inbox = await createInbox(owner);
    const old = await visitor(inbox.widgetKey, { name: 'Eva Kundin', email: 'eva@example.com' });
    const started = await old.start('Wo ist meine Bestellung?');
    const conversationId = started.conversation.id;
    const before = started.members.find((m) => m.userId === old.session.contactId) as Member;
    const eva = await visitor(inbox.widgetKey, { name: 'Eva K.', email: 'eva.k@example.com' });
    await eva.client.connect();
    const joined: Member[] = [];
    eva.client.on('member', (m) => joined.push(m));
    const oldStates: string[] = [];
    await old.client.connect();
    old.client.on('state', (s) => oldStates.push(s.status));

    const detail = await merge(ana, eva.session.contactId, old.session.contactId);
    expect(detail.contact.id).toBe(eva.session.contactId);

    // The target learns of its new conversation live, and reads its whole history.
    await until(() => joined.some((m) => m.conversationId === conversationId && m.leftAt === null), 'member change');
    const history = await eva.client.history(conversationId);
    // The customer's first message, the greeting and the queue notice: all keep the duplicate as sender.
    expect(history.messages.map((m) => [m.text ?? m.system?.event, m.senderId])).toEqual([
      ['Wo ist meine Bestellung?', old.session.contactId],
      ['auto_reply', old.session.contactId],
      ['auto_reply', old.session.contactId],
    ]);
    const { members } = await eva.client.request<ConversationDetail>('GET', `/api/v1/conversations/${conversationId}`);
    const byUser = new Map(members.map((m) => [m.userId, m]));
    expect(byUser.get(eva.session.contactId)).toMatchObject({
      leftAt: null,
      readSeq: before.readSeq,
      deliveredSeq: before.deliveredSeq,
    });
    expect(byUser.get(old.session.contactId)?.leftAt).not.toBeNull();
    const mine = await eva.client.widget(inbox.widgetKey).conversations();
    expect(mine.map((c) => c.conversation.id)).toEqual([conversationId]);
    // Staff see the conversation under the target.
    expect((await owner.client.inbox.get(conversationId)).contact.id).toBe(eva.session.contactId);

    // The duplicate's sessions are revoked: its socket closes, its token stops working.
    await until(() => oldStates.includes('closed'), 'the merged visitor is disconnected');
    await expect(old.client.history(conversationId)).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
  });

  it('K2: a merge unites tags and attributes (the target wins); the duplicate leaves the list', async () => {
    const inbox = await createInbox(owner);
    const hash = (id: string) => createHmac('sha256', inbox.identitySecret).update(id).digest('hex');
    const res = await fetch(`${server.url}/api/v1/widget/${inbox.widgetKey}/visitors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Eva Shop',
        email: 'eva@shop.example',
        consent: true,
        locale: 'de',
        identity: { externalId: 'shop-7', hash: hash('shop-7') },
      }),
    });
    const source = (await res.json()) as VisitorSession;
    const target = await visitor(inbox.widgetKey, { name: 'Eva Kundin', email: 'eva@example.com' });
    const targetId = target.session.contactId;
    await owner.client.inbox.updateContact(source.contactId, {
      tags: ['vip', 'shop'],
      attributes: { plan: 'pro', city: 'Köln' },
    });
    await owner.client.inbox.updateContact(targetId, { tags: ['vip', 'newsletter'], attributes: { plan: 'free' } });

    const merged = await merge(owner, targetId, source.contactId);
    expect(merged.contact).toMatchObject({
      name: 'Eva Kundin',
      email: 'eva@example.com',
      externalId: 'shop-7',
      tags: ['newsletter', 'shop', 'vip'],
      attributes: { plan: 'free', city: 'Köln' },
    });
    // Both consent records stay as given (append-only) and show on the target.
    expect(merged.consents.map((c) => c.contactId).sort()).toEqual([source.contactId, targetId].sort());
    expect((await listed()).map((c) => c.id)).toEqual([targetId]);
    await expect(owner.client.inbox.contact(source.contactId)).rejects.toMatchObject({ code: 'CONTACT_NOT_FOUND' });
    // The website's verified user is now the target.
    const again = await fetch(`${server.url}/api/v1/widget/${inbox.widgetKey}/visitors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Eva',
        email: 'x@example.com',
        consent: true,
        locale: 'de',
        identity: { externalId: 'shop-7', hash: hash('shop-7') },
      }),
    });
    expect(((await again.json()) as VisitorSession).contactId).toBe(targetId);

    await expect(merge(owner, targetId, targetId)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(merge(owner, targetId, source.contactId)).rejects.toMatchObject({ code: 'CONTACT_NOT_FOUND' });
    await expect(merge(owner, source.contactId, targetId)).rejects.toMatchObject({ code: 'CONTACT_NOT_FOUND' });
    await expect(merge(owner, targetId, 'k_nobody')).rejects.toMatchObject({ code: 'CONTACT_NOT_FOUND' });
    await expect(
      owner.client.request('POST', `/api/v1/contacts/${targetId}/merge`, { sourceId: 5 }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('K3: an export imports into another install as the same contacts', async () => {
    const inbox = await createInbox(owner);
    await visitor(inbox.widgetKey, { name: 'Eva Kundin', email: 'eva@example.com' });
    const result = await imported(
      [
        'name,email,externalId,tags,company,note',
        'Jörg Ümlaut,joerg@example.com,crm-1,vip;b2b,"Müller, Söhne & Co","sagt ""Moin""\nzweite Zeile"',
        'Lea,,crm-2,,,  Leerzeichen ',
      ].join('\r\n'),
    );
    expect(result).toEqual({ created: 2, updated: 0, errors: [] });

    const first = await exported();
    expect(first.res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(first.res.headers.get('content-disposition')).toMatch(/^attachment; filename="contacts-[\d-]+\.csv"$/);
    expect(first.text.split('\r\n')[0]).toBe('id,name,email,externalId,tags,createdAt,blocked,company,note');
    expect(first.rows).toHaveLength(3);
    const joerg = first.rows.find((r) => r.externalId === 'crm-1');
    expect(joerg).toMatchObject({
      name: 'Jörg Ümlaut',
      tags: 'b2b;vip',
      company: 'Müller, Söhne & Co',
      note: 'sagt "Moin"\nzweite Zeile',
      blocked: 'false',
    });
    expect(new Date(joerg?.createdAt as string).getTime()).toBeGreaterThan(0);

    const other = await startServer({ dialect });
    try {
      const otherOwner = await createOwner(other, 'owner');
      expect(await imported(first.text, { user: otherOwner, s: other })).toEqual({
        created: 3,
        updated: 0,
        errors: [],
      });
      const second = await exported(otherOwner, other);
      const comparable = (rows: Record<string, string>[]) =>
        rows
          .map(({ id: _id, createdAt: _at, ...rest }) => rest)
          .sort((a, b) => `${a.email}`.localeCompare(`${b.email}`));
      expect(comparable(second.rows)).toEqual(comparable(first.rows));
      otherOwner.client.close();
    } finally {
      await other.close();
    }
    // Importing an export back changes nothing: its `id` column names each contact.
    expect(await imported(first.text)).toEqual({ created: 0, updated: 3, errors: [] });
    expect((await exported()).rows).toEqual(first.rows);
  });

  it('K4: an import updates the contact with the same e-mail and grants no consent', async () => {
    const inbox = await createInbox(owner);
    const eva = await visitor(inbox.widgetKey, { name: 'Eva Kundin', email: 'eva@example.com' });
    const evaId = eva.session.contactId;
    await owner.client.inbox.updateContact(evaId, { tags: ['vip'], attributes: { plan: 'free', city: 'Köln' } });
    const result = await imported(
      'email,name,tags,plan\nEVA@example.com,Eva Neu,newsletter,pro\nneu@example.com,Neu,,\n',
    );
    expect(result).toEqual({ created: 1, updated: 1, errors: [] });
    const detail = await owner.client.inbox.contact(evaId);
    expect(detail.contact).toMatchObject({
      name: 'Eva Neu',
      email: 'eva@example.com',
      tags: ['newsletter', 'vip'],
      attributes: { plan: 'pro', city: 'Köln' },
    });
    expect(detail.consents).toHaveLength(1);
    const created = (await listed()).find((c) => c.email === 'neu@example.com') as Contact;
    expect(created).toMatchObject({ name: 'Neu', tags: [], attributes: {} });
    expect((await owner.client.inbox.contact(created.id)).consents).toEqual([]);
  });

  it('K5: bad rows are reported by line while the good rows are imported', async () => {
    const csv = [
      'name,email,tags,plan', // 1
      'Anna,anna@example.com,vip,gold', // 2
      'Bernd,not-an-address,,', // 3
      '"Carla', // 4
      'Zweizeilig",carla@example.com,,', // 5
      ',,,', // 6: empty, skipped
      'Dora,dora@example.com,bad tag!,', // 7
      ',,,only-a-plan', // 8
      'Emil,emil@example.com,,,extra', // 9
      `${'x'.repeat(101)},lang@example.com,,`, // 10
      '', // 11
      'Fritz,fritz@example.com,,silver', // 12
    ].join('\n');
    const result = await imported(csv);
    expect(result.created).toBe(3);
    expect(result.updated).toBe(0);
    expect(result.errors.map((e) => e.line)).toEqual([3, 7, 8, 9, 10]);
    expect(result.errors[0]?.message).toMatch(/email/);
    expect(result.errors[2]?.message).toMatch(/name, email or externalId/);
    const names = (await listed()).map((c) => c.name).sort();
    expect(names).toEqual(['Anna', 'Carla\nZweizeilig', 'Fritz']);
  });

  it('K6: cells that a spreadsheet would run as formulas are exported as text', async () => {
    const evil = ['=HYPERLINK("http://evil.example","klick")', '+49 170 1234567', '-2+3', '@SUM(A1)'];
    const csv = `name,email,phone,score,handle\n"${evil[0]?.replaceAll('"', '""')}",a@example.com,${evil[1]},${evil[2]},${evil[3]}\n`;
    expect(await imported(csv)).toEqual({ created: 1, updated: 0, errors: [] });
    const { rows, text } = await exported();
    expect(rows[0]).toMatchObject({
      name: `'${evil[0]}`,
      phone: `'${evil[1]}`,
      score: `'${evil[2]}`,
      handle: `'${evil[3]}`,
    });
    expect(text).not.toMatch(/(^|[,\n])[=+\-@]/);
    // The apostrophe is the export's, not the data's: importing the file back keeps the values.
    expect(await imported(text)).toEqual({ created: 0, updated: 1, errors: [] });
    const [contact] = await listed();
    expect(contact).toMatchObject({ name: evil[0], attributes: { phone: evil[1], score: evil[2], handle: evil[3] } });
  });

  it('K7: members may not see or change contacts; agents may merge but not import or export', async () => {
    const max = await createUser(server, owner, 'max');
    const inbox = await createInbox(owner);
    const a = await visitor(inbox.widgetKey, { name: 'A', email: 'a@example.com' });
    const b = await visitor(inbox.widgetKey, { name: 'B', email: 'b@example.com' });
    await expect(max.client.inbox.contacts()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await errorOf(await exportCsv(max))).toEqual([403, 'FORBIDDEN']);
    expect(await errorOf(await importCsv('name\nMallory\n', { user: max }))).toEqual([403, 'FORBIDDEN']);
    await expect(merge(max, a.session.contactId, b.session.contactId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await errorOf(await exportCsv(ana))).toEqual([403, 'FORBIDDEN']);
    expect(await errorOf(await importCsv('name\nMallory\n', { user: ana }))).toEqual([403, 'FORBIDDEN']);
    // A customer's own session is refused on every contacts route.
    const customer = { ...owner, token: a.session.token };
    expect(await errorOf(await exportCsv(customer))).toEqual([403, 'FORBIDDEN']);
    expect((await listed()).map((c) => c.name).sort()).toEqual(['A', 'B']);
    max.client.close();
  });

  it('K8: a malformed or oversized import gets a typed error and imports nothing', async () => {
    const cases: [string, string, number, string][] = [
      ['name,email\n"Anna,anna@example.com\n', 'text/csv', 400, 'BAD_REQUEST'],
      ['name,email\nAn"na",anna@example.com\n', 'text/csv', 400, 'BAD_REQUEST'],
      ['name,email,Name\nAnna,anna@example.com,Anna\n', 'text/csv', 400, 'BAD_REQUEST'],
      ['', 'text/csv', 400, 'BAD_REQUEST'],
      ['{"name":"Anna"}', 'application/json', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [`name\n${'Anna Beispiel Mustermann\n'.repeat(10_001)}`, 'text/csv', 413, 'PAYLOAD_TOO_LARGE'],
      ['a'.repeat(6 * 1024 * 1024), 'text/csv', 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [body, type, status, code] of cases) {
      expect([type, body.length, ...(await errorOf(await importCsv(body, { type })))]).toEqual([
        type,
        body.length,
        status,
        code,
      ]);
    }
    expect(await listed()).toEqual([]);
    // Up to the row limit, a file larger than the server's usual 1 MiB bodies is fine.
    const big = `name,note\n${`Anna,${'n'.repeat(450)}\n`.repeat(2500)}`;
    expect(big.length).toBeGreaterThan(1024 * 1024);
    expect((await imported(big)).created).toBe(2500);
  });
});
