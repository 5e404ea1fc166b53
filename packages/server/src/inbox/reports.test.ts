import { type InboxAdmin, InboxReport, type Message } from '@kurier/protocol';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createInbox,
  createOwner,
  createStaff,
  createTeam,
  createVisitor,
  type TestUser,
  type TestVisitor,
} from '../../../../test/factories.js';
import { DIALECTS, dialectAvailable, startServer, type TestServer } from '../../../../test/harness.js';
import { csvCell } from '../kernel/csv.js';
import { durationStats } from './reports.js';

const DAY = 86_400_000;
const FORMULA = '=HYPERLINK("http://evil.example","Rabatt")';
const hourIn = (at: number, timeZone: string) =>
  Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(at));
const timeIn = (at: number, locale: string) =>
  new Intl.DateTimeFormat(locale, { timeZone: 'Europe/Berlin', timeStyle: 'short' }).format(at);

describe.each(DIALECTS)('inbox reports and transcripts on %s', (dialect) => {
  let server: TestServer;
  let owner: TestUser;
  let ana: TestUser;
  let bo: TestUser;
  let cem: TestUser;
  const visitors: TestVisitor[] = [];

  beforeEach(async (ctx) => {
    if (!dialectAvailable(dialect)) return ctx.skip();
    server = await startServer({ dialect });
    owner = await createOwner(server, 'owner');
    ana = await createStaff(server, owner, { username: 'ana', role: 'agent' });
    bo = await createStaff(server, owner, { username: 'bo', role: 'agent' });
    cem = await createStaff(server, owner, { username: 'cem', role: 'agent' });
  });

  afterEach(async () => {
    for (const c of [owner, ana, bo, cem, ...visitors]) c?.client.close();
    visitors.length = 0;
    await server?.close();
  });

  async function visitor(key: string, name: string): Promise<TestVisitor> {
    const v = await createVisitor(server, key, { name, email: `${visitors.length}@example.com` });
    visitors.push(v);
    return v;
  }

  const get = (token: string, path: string) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  /** Two inboxes; four conversations: two answered and rated by Ana, one answered by Bo, one untouched. */
  async function scenario() {
    const from = Date.now() - 1;
    const support = await createTeam(owner, 'Support "Süd"', [ana, bo]);
    const billing = await createTeam(owner, 'Buchhaltung', [cem]);
    const shop = await createInbox(owner, { name: 'Shop, Süd', teams: [support], settings: { autoAssign: false } });
    const invoices = await createInbox(owner, {
      name: 'Rechnungen',
      teams: [billing],
      settings: { autoAssign: false },
    });
    await Promise.all([ana.client.connect(), bo.client.connect()]);

    const answer = async (who: TestUser, v: TestVisitor, text: string) => {
      const started = await v.start(text);
      const id = started.conversation.id;
      await who.client.inbox.assign(id, who.id);
      // A note is no answer to the customer: it must not stop the first-response clock.
      await who.client.send(id, 'Notiz vorab', { note: true });
      const reply = await who.client.send(id, 'Gerne, ich sehe nach.');
      return {
        id,
        createdAt: started.conversation.createdAt,
        firstResponse: reply.createdAt - started.conversation.createdAt,
      };
    };
    const resolveAndRate = async (c: { id: string; createdAt: number }, v: TestVisitor, score: number) => {
      const item = await owner.client.inbox.setStatus(c.id, { status: 'resolved' });
      await v.client.widget(shop.widgetKey).rate(c.id, { score });
      return (item.resolvedAt as number) - c.createdAt;
    };

    const eva = await visitor(shop.widgetKey, 'Eva Kundin');
    const max = await visitor(shop.widgetKey, 'Max Müller, Jr.');
    const lea = await visitor(shop.widgetKey, FORMULA);
    const tom = await visitor(invoices.widgetKey, 'Tom Tester');
    const c1 = await answer(ana, eva, 'Wo ist mein Paket?');
    const c2 = await answer(ana, max, 'Rechnung falsch');
    const c3 = await answer(bo, lea, 'Rabatt?');
    const c4 = (await tom.start('Mahnung')).conversation;
    const r1 = await resolveAndRate(c1, eva, 5);
    const r2 = await resolveAndRate(c2, max, 3);
    return { from, to: Date.now() + 1, support, billing, shop, invoices, c1, c2, c3, c4, r1, r2 };
  }

  it('R1: the report counts what was created in the range: totals, times, ratings, hours, agents, teams', async () => {
    const s = await scenario();
    const report = await owner.client.inbox.reports({ from: s.from, to: s.to });
    expect(InboxReport.parse(report)).toEqual(report);
    const frs = [s.c1.firstResponse, s.c2.firstResponse, s.c3.firstResponse];
    expect(frs.every((ms) => ms >= 0)).toBe(true);
    expect(report.totals).toEqual({
      conversations: 4,
      resolved: 2,
      firstResponseMs: durationStats(frs),
      resolutionMs: durationStats([s.r1, s.r2]),
      csat: { average: 4, count: 2, distribution: { '1': 0, '2': 0, '3': 1, '4': 0, '5': 1 } },
    });
    expect(durationStats([30, 10, 20])).toEqual({ median: 20, p90: 30, count: 3 });
    expect(durationStats([10, 21])).toEqual({ median: 16, p90: 21, count: 2 });

    const hours = Array.from({ length: 24 }, () => 0);
    for (const c of [s.c1, s.c2, s.c3, s.c4]) {
      const h = hourIn(c.createdAt, 'Europe/Berlin');
      hours[h] = (hours[h] ?? 0) + 1;
    }
    expect(report.volumeByHour).toEqual(hours);
    const tokyo = await owner.client.inbox.reports({ from: s.from, to: s.to, timeZone: 'Asia/Tokyo' });
    expect(tokyo.volumeByHour[hourIn(s.c4.createdAt, 'Asia/Tokyo')]).toBeGreaterThan(0);

    const median2 = (a: number, b: number) => Math.round((a + b) / 2);
    expect(report.perAgent).toEqual([
      {
        userId: ana.id,
        displayName: 'Ana',
        conversations: 2,
        resolved: 2,
        firstResponseMedianMs: median2(s.c1.firstResponse, s.c2.firstResponse),
        csatAverage: 4,
      },
      {
        userId: bo.id,
        displayName: 'Bo',
        conversations: 1,
        resolved: 0,
        firstResponseMedianMs: s.c3.firstResponse,
        csatAverage: null,
      },
    ]);
    expect(report.perTeam).toEqual([
      {
        teamId: s.support.id,
        name: 'Support "Süd"',
        conversations: 3,
        resolved: 2,
        firstResponseMedianMs: durationStats(frs).median,
        csatAverage: 4,
      },
      {
        teamId: s.billing.id,
        name: 'Buchhaltung',
        conversations: 1,
        resolved: 0,
        firstResponseMedianMs: null,
        csatAverage: null,
      },
    ]);

    // Filters, the default range (the last 7 days) and an empty range.
    const invoices = await owner.client.inbox.reports({ from: s.from, to: s.to, inboxId: s.invoices.id });
    expect(invoices.totals.conversations).toBe(1);
    const team = await owner.client.inbox.reports({ from: s.from, to: s.to, teamId: s.support.id });
    expect(team.totals.conversations).toBe(3);
    const recent = await owner.client.inbox.reports();
    expect(recent.totals.conversations).toBe(4);
    expect(recent.to - recent.from).toBe(7 * DAY);
    expect((await owner.client.inbox.reports({ from: s.to, to: s.to + DAY })).totals.conversations).toBe(0);

    // Agents and customers are refused; bad ranges are validation errors.
    await expect(ana.client.inbox.reports()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(visitors[0]?.client.request('GET', '/api/v1/inbox/reports')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    for (const q of [
      { from: s.to, to: s.from },
      { from: s.from, to: s.from },
      { from: s.to - 367 * DAY, to: s.to },
      { timeZone: 'Mars/Olympus' },
      { from: 'yesterday' },
    ]) {
      await expect(owner.client.inbox.reports(q)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('R2: the CSV export has one escaped row per conversation, with a BOM and no live formulas', async () => {
    const s = await scenario();
    const res = await get(owner.token, `/api/v1/inbox/reports?format=csv&from=${s.from}&to=${s.to}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="kurier-report-${s.from}-${s.to}.csv"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(new TextDecoder().decode(bytes), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    const row = (id: string) => rows.find((r) => r.conversationId === id);

    expect(row(s.c1.id)).toEqual({
      conversationId: s.c1.id,
      inbox: 'Shop, Süd',
      contactName: 'Eva Kundin',
      contactEmail: '0@example.com',
      created: new Date(s.c1.createdAt).toISOString(),
      assignee: 'Ana',
      team: 'Support "Süd"',
      status: 'resolved',
      firstResponseSeconds: String(Math.round(s.c1.firstResponse / 1000)),
      resolutionSeconds: String(Math.round(s.r1 / 1000)),
      csatScore: '5',
    });
    expect(row(s.c2.id)?.contactName).toBe('Max Müller, Jr.');
    expect(row(s.c3.id)).toMatchObject({
      contactName: `'${FORMULA}`,
      assignee: 'Bo',
      status: 'open',
      resolutionSeconds: '',
    });
    expect(row(s.c4.id)).toMatchObject({
      inbox: 'Rechnungen',
      assignee: '',
      team: 'Buchhaltung',
      firstResponseSeconds: '',
      csatScore: '',
    });

    expect(csvCell('a\r\nb')).toBe('"a\r\nb"');
    expect(['+1', '-1', '@SUM(A1)', '\tx'].map(csvCell)).toEqual(["'+1", "'-1", "'@SUM(A1)", "'\tx"]);
    expect(csvCell(-5)).toBe('-5');
    expect((await get(ana.token, '/api/v1/inbox/reports?format=csv')).status).toBe(403);
  });

  /** Eva's conversation: her message with markup, the queue reply, Ana taking it, a note, a reply, resolved. */
  async function conversationWithNote(shop: InboxAdmin, text: string) {
    const eva = await visitor(shop.widgetKey, 'Eva Kundin');
    const id = (await eva.start(text)).conversation.id;
    await ana.client.connect();
    await ana.client.inbox.assign(id, ana.id);
    await ana.client.send(id, 'Geheim: Kundin hat doppelt bezahlt', { note: true });
    const reply: Message = await ana.client.send(id, 'Gerne, das erstatten wir.');
    await ana.client.inbox.setStatus(id, { status: 'resolved' });
    return { eva, id, reply };
  }

  it('R3: transcripts are escaped HTML downloads; the customer’s has no notes, the staff’s marks them', async () => {
    const team = await createTeam(owner, 'Support', [ana]);
    const shop = await createInbox(owner, { name: 'Shop <b>Süd</b>', teams: [team], settings: { autoAssign: false } });
    const { eva, id, reply } = await conversationWithNote(shop, 'Hallo <script>alert(1)</script> & "Co"');

    const res = await get(eva.session.token, `/api/v1/widget/${shop.widgetKey}/conversations/${id}/transcript`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="transcript-${id}.html"`);
    const mine = await res.text();
    expect(mine).toMatch(/^<!doctype html>\n<html lang="de">/);
    expect(mine).toContain('Hallo &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;');
    expect(mine).not.toContain('<script');
    expect(mine).not.toContain('<b>');
    expect(mine).toContain('Shop &lt;b&gt;Süd&lt;/b&gt;');
    expect(mine).not.toContain('Geheim');
    expect(mine).not.toContain('Interne Notiz');
    expect(mine).toContain('Gerne, das erstatten wir.');
    expect(mine).toContain('Eva Kundin');
    expect(mine).toContain(timeIn(reply.createdAt, 'de-DE'));
    for (const plain of [
      'Automatische Antwort: Platz 1 in der Warteschlange.',
      'Ana hat das Gespräch übernommen.',
      'Das Gespräch wurde abgeschlossen.',
    ])
      expect(mine).toContain(plain);

    const staff = await (await get(ana.token, `/api/v1/inbox/conversations/${id}/transcript`)).text();
    expect(staff).toContain('Interne Notiz');
    expect(staff).toContain('Geheim: Kundin hat doppelt bezahlt');
    expect(staff).toContain('Hallo &lt;script&gt;');
    expect(staff).not.toContain('<script');

    const english = await (await get(owner.token, `/api/v1/inbox/conversations/${id}/transcript?lang=en`)).text();
    expect(english).toContain('<html lang="en">');
    expect(english).toContain('Internal note');
    expect(english).toContain('Ana took over the conversation.');
    expect(english).toContain(timeIn(reply.createdAt, 'en-GB'));
    const bad = await get(owner.token, `/api/v1/inbox/conversations/${id}/transcript?lang=fr`);
    expect(await codeOf(bad)).toBe('VALIDATION_FAILED');
  });

  it('R4: only staff of the inbox and the conversation’s own customer get a transcript', async () => {
    const support = await createTeam(owner, 'Support', [ana]);
    const billing = await createTeam(owner, 'Buchhaltung', [cem]);
    const shop = await createInbox(owner, { name: 'Shop', teams: [support], settings: { autoAssign: false } });
    await createInbox(owner, { name: 'Rechnungen', teams: [billing] });
    const { eva, id } = await conversationWithNote(shop, 'Hallo');
    const other = await visitor(shop.widgetKey, 'Max Muster');
    await other.start('Meine eigene Frage');

    const widgetPath = `/api/v1/widget/${shop.widgetKey}/conversations/${id}/transcript`;
    const staffPath = `/api/v1/inbox/conversations/${id}/transcript`;
    expect(await codeOf(await get(other.session.token, widgetPath))).toBe('CONVERSATION_NOT_FOUND');
    expect(await codeOf(await get(cem.token, staffPath))).toBe('CONVERSATION_NOT_FOUND');
    expect(await codeOf(await get(ana.token, '/api/v1/inbox/conversations/c_nope/transcript'))).toBe(
      'CONVERSATION_NOT_FOUND',
    );
    expect(await codeOf(await get(eva.session.token, staffPath))).toBe('FORBIDDEN');
    expect(await codeOf(await get(ana.token, widgetPath))).toBe('FORBIDDEN');
    expect(await codeOf(await get(eva.session.token, `/api/v1/widget/wk_nope/conversations/${id}/transcript`))).toBe(
      'WIDGET_KEY_INVALID',
    );
    expect((await get(eva.session.token, widgetPath)).status).toBe(200);
    expect((await get(ana.token, staffPath)).status).toBe(200);
  });
});
