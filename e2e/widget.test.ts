import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fillCannedReply, type Message } from '@kurier/protocol';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser } from '../test/browser.js';
import { createInbox, createOwner, createStaff, createTeam, type TestUser, until } from '../test/factories.js';
import { noisePng } from '../test/files.js';
import { startServer, type TestServer } from '../test/harness.js';

// A customer on a company's website (another origin) and an agent working through the SDK: the
// widget is the real embed script, the real frame and the real public API, in Debian's Chromium.
describe.skipIf(!browserAvailable())('chat widget on a customer website', () => {
  let server: TestServer;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;
  let page: Page;
  let widget: FrameLocator;
  let owner: TestUser;
  let ana: TestUser;
  let widgetKey: string;
  let conversationId: string;
  const errors: string[] = [];
  const violations: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    owner = await createOwner(server, 'owner');
    ana = await createStaff(server, owner, { username: 'ana', role: 'agent' });
    const team = await createTeam(owner, 'Support', [ana]);
    const inbox = await createInbox(owner, { name: 'Muster GmbH', teams: [team], settings: { autoAssign: false } });
    widgetKey = inbox.widgetKey;
    site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="de"><head><title>Muster Shop</title></head><body>
        <h1>Muster Shop</h1>
        <script src="${server.url}/widget.js" data-key="${widgetKey}" async></script></body></html>`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://localhost:${(site.address() as AddressInfo).port}/`;
    browser = await launchBrowser();
    const ctx = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } });
    page = await ctx.newPage();
    page.setDefaultTimeout(8_000);
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) violations.push(m.text());
    });
    widget = page.frameLocator('iframe[title="Chat"]');
  });

  afterAll(async () => {
    ana?.client.close();
    owner?.client.close();
    await browser?.close();
    await new Promise((r) => site?.close(r));
    await server?.close();
  });

  it('V7: the embed script opens the widget; the pre-chat form starts a conversation the agent sees unassigned', async () => {
    await page.goto(siteUrl);
    await widget.getByRole('button', { name: 'Chat öffnen' }).click();
    await widget.getByText('Hallo! Wie können wir helfen?').waitFor();
    await widget.getByText('Wir antworten meist innerhalb weniger Minuten').waitFor();
    await widget.getByLabel('Name').fill('Eva Kundin');
    await widget.getByLabel('E-Mail').fill('eva@example.com');
    await widget.getByLabel('Ihre Nachricht').fill('Wo bleibt meine Bestellung 4711?');
    await widget.getByRole('checkbox').check();
    await widget.getByRole('button', { name: 'Chat starten' }).click();
    await widget.getByText('Wo bleibt meine Bestellung 4711?').waitFor();
    await widget.getByText('Sie sind Nummer 1 in der Warteschlange').waitFor();

    const { items } = await ana.client.inbox.view({ view: 'unassigned' });
    expect(items.map((i) => i.contact.name)).toEqual(['Eva Kundin']);
    conversationId = items[0]?.conversationId as string;
    const detail = await owner.client.inbox.contact(items[0]?.contact.id as string);
    expect(detail.consents).toHaveLength(1);
  });

  it('V8: the agent takes it and answers with a canned reply; the customer sees typing, the answer and receipts', async () => {
    await ana.client.connect();
    await ana.client.inbox.assign(conversationId, ana.id);
    await widget.getByText('Ana ist dem Chat beigetreten').waitFor();
    const canned = await ana.client.inbox.createCannedReply({
      shortcut: 'hallo',
      text: 'Hallo {{contact.first_name}}, hier ist {{agent.name}}. Ich sehe sofort nach.',
    });
    ana.client.typing(conversationId, true);
    await widget.getByText('Ana schreibt …').waitFor();
    const item = await ana.client.inbox.get(conversationId);
    const text = fillCannedReply(canned.text, { contact: item.contact, agent: { name: 'Ana' } });
    await ana.client.send(conversationId, text);
    await widget.getByText('Hallo Eva, hier ist Ana. Ich sehe sofort nach.').waitFor();
    expect(await widget.getByText('Ana schreibt …').count()).toBe(0);

    // The customer answers; once Ana has read it, the widget says so.
    const seen: Message[] = [];
    ana.client.on('message', (m) => seen.push(m));
    await widget.getByLabel('Nachricht schreiben …').fill('Danke!');
    await widget.getByLabel('Nachricht schreiben …').press('Enter');
    await until(() => seen.some((m) => m.text === 'Danke!'), 'the agent receives the answer');
    await widget.getByText('Gesendet').waitFor();
    const last = seen.find((m) => m.text === 'Danke!') as Message;
    await ana.client.markRead(conversationId, last.seq);
    await widget.getByText('Gelesen').waitFor();
  });

  it('V9: a private note never reaches the widget; a file from the customer reaches the agent', async () => {
    await ana.client.send(conversationId, 'Intern: Paket hängt im Lager', { note: true });
    await ana.client.send(conversationId, 'Ihr Paket geht heute raus.');
    await widget.getByText('Ihr Paket geht heute raus.').waitFor();
    expect(await widget.getByText('Intern: Paket hängt im Lager').count()).toBe(0);

    const seen: Message[] = [];
    ana.client.on('message', (m) => seen.push(m));
    await widget.locator('input[type="file"]').setInputFiles({
      name: 'beleg.png',
      mimeType: 'image/png',
      buffer: await noisePng(64, 48),
    });
    await until(() => seen.some((m) => m.media?.name === 'beleg.png'), 'the agent receives the file');
    await widget.locator('.bubble.mine img[alt="beleg.png"]').waitFor();
  });

  it('V10: resolving asks the customer for a rating; the agent sees it', async () => {
    await ana.client.inbox.setStatus(conversationId, { status: 'resolved' });
    await widget.getByText('Das Gespräch wurde beendet.').waitFor();
    await widget.getByRole('radio', { name: '5 von 5' }).click();
    await widget.getByPlaceholder('Möchten Sie uns noch etwas sagen? (optional)').fill('Sehr schnell!');
    await widget.getByRole('button', { name: 'Bewertung senden' }).click();
    await widget.getByText('Danke für Ihre Bewertung!').waitFor();
    expect(await ana.client.inbox.get(conversationId)).toMatchObject({ csatScore: 5, csatComment: 'Sehr schnell!' });
  });

  it('V11: after a reload the visitor is still the same person with the same conversation', async () => {
    await page.reload();
    await widget.getByRole('button', { name: 'Chat öffnen' }).click();
    await widget.getByText('Ihr Paket geht heute raus.').waitFor();
    await widget.getByLabel('Nachricht schreiben …').fill('Noch eine Frage');
    await widget.getByLabel('Nachricht schreiben …').press('Enter');
    await until(async () => (await ana.client.inbox.get(conversationId)).status === 'open', 'writing again reopens');
    expect(errors).toEqual([]);
    expect(violations).toEqual([]);
  });

  it('V12: the guest link is the same chat as a full page; unknown links are 404', async () => {
    const inbox = (await owner.client.inbox.inboxes())[0];
    const guest = await (await browser.newContext({ locale: 'de-DE' })).newPage();
    await guest.goto(`${server.url}/c/${inbox?.slug}`);
    await guest.getByRole('heading', { name: 'Muster GmbH' }).waitFor();
    await guest.getByLabel('Ihre Nachricht').waitFor();
    const missing = await fetch(`${server.url}/c/does-not-exist`);
    expect(missing.status).toBe(404);
    await guest.close();
  });

  it('V12: the guest page renders in a browser that runs effects late (a busy or background tab)', async () => {
    const inbox = (await owner.client.inbox.inboxes())[0];
    const guest = await (await browser.newContext({ locale: 'de-DE' })).newPage();
    guest.setDefaultTimeout(8_000);
    await guest.addInitScript(() => {
      // Preact runs effects after the next frame or a short timer: both late here, so the
      // config arrives before the widget subscribes to its session (it once stayed blank).
      window.requestAnimationFrame = () => 0;
      const later = window.setTimeout;
      window.setTimeout = ((run: () => void, ms?: number) =>
        later(run, ms !== undefined && ms > 0 && ms < 100 ? 1500 : ms)) as typeof window.setTimeout;
    });
    await guest.goto(`${server.url}/c/${inbox?.slug}`);
    await guest.getByRole('heading', { name: 'Muster GmbH' }).waitFor();
    await guest.getByLabel('Ihre Nachricht').waitFor();
    await guest.context().close();
  });

  it('V13: outside business hours the widget (in English) offers the offline form and says when the team is back', async () => {
    const day = (new Date().getUTCDay() + 3) % 7;
    const closed = await createInbox(owner, {
      name: 'After Hours Ltd',
      settings: { businessHours: { timeZone: 'Europe/Berlin', windows: [{ day, from: '09:00', to: '17:00' }] } },
    });
    const guest = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    await guest.goto(`${server.url}/c/${closed.slug}`);
    await guest.getByText(/^Away right now – back /).waitFor();
    await guest.getByText('We are away right now and will reply as soon as we are back.').waitFor();
    await guest.getByLabel('Name').fill('Max Mustermann');
    await guest.getByLabel('Email').fill('max@example.com');
    await guest.getByLabel('Your message').fill('Please call me back tomorrow.');
    await guest.getByRole('checkbox').check();
    await guest.getByRole('button', { name: 'Leave a message' }).click();
    await guest.getByText('Please call me back tomorrow.').waitFor();
    // The away reply stands in the conversation too, worded from the inbox's settings.
    await expect
      .poll(() => guest.getByText('We are away right now and will reply as soon as we are back.').count())
      .toBe(1);
    await guest.context().close();
  });
});
