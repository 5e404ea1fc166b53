// `npm run screenshots`: starts a real Kurier on a temporary data directory, fills it with a few
// people and chats through the SDK, and photographs the real web app in Debian's Chromium —
// German and English, light and dark, desktop and phone width — into docs/screenshots/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MUTED_FOREVER } from '@kurier/protocol';
import { KurierClient } from '@kurier/sdk';
import { buildApp, loadConfig } from '@kurier/server';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import WebSocket from 'ws';
import { launchBrowser } from '../test/browser.js';
import { seedPeople } from '../test/seed.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'docs', 'screenshots');
execFileSync(process.execPath, [join(ROOT, 'tools/ensure-built.mjs'), 'web', 'widget'], { stdio: 'inherit' });
const dataDir = mkdtempSync(join(tmpdir(), 'kurier-shots-'));
const kurier = await buildApp({ ...loadConfig({ KURIER_DATA_DIR: dataDir }), logLevel: 'silent' });
const base = await kurier.app.listen({ port: 0, host: '127.0.0.1' });
try {
  const [annaSeed, ...others] = await seedPeople(kurier, {
    baseUrl: base,
    people: [
      ['anna', 'Anna Schmidt'],
      ['ben', 'Ben Weber'],
      ['clara', 'Clara Nowak'],
      ['deniz', 'Deniz Yılmaz'],
    ],
  });
  if (!annaSeed) throw new Error('seeding failed');
  const annaAuth = annaSeed.auth;
  const anna = annaSeed.client;
  const [ben, clara, deniz] = others.map((o) => o.client) as [KurierClient, KurierClient, KurierClient];
  for (const c of [anna, ben, clara, deniz]) await c.connect();

  const direct = await anna.createConversation({ kind: 'direct', userId: (await ben.me()).id });
  const dm = direct.conversation.id;
  await ben.send(dm, 'Guten Morgen Anna! Hast du die Unterlagen für Müller & Co. schon gesehen?');
  const plan = await anna.send(dm, 'Ja, liegt alles unter https://intranet.example.com/mueller – sieht gut aus.');
  await ben.react(plan.id, '👍');
  await ben.send(dm, 'Super, dann schicke ich das Angebot heute noch raus.', { replyToId: plan.id });
  await anna.send(dm, 'Danke dir! 🙏');

  const group = await anna.createConversation({
    kind: 'group',
    name: 'Projekt Nord',
    memberIds: [(await ben.me()).id, (await clara.me()).id, (await deniz.me()).id],
  });
  const g = group.conversation.id;
  await clara.send(g, 'Der Kunde möchte den Termin auf Donnerstag verschieben.');
  const q = await deniz.send(g, 'Donnerstag 10 Uhr passt mir.');
  await anna.send(g, 'Mir auch. Ich trage es ein.');
  await ben.react(q.id, '❤️');
  await clara.send(g, 'Perfekt, ich gebe Bescheid.');
  const sitePlanMedia = await deniz.upload(await sitePlan(), 'lageplan-nord.png');
  await deniz.send(g, '', { mediaId: sitePlanMedia.id });
  const offer = await clara.upload(offerPdf(), 'Angebot-2026-118.pdf');
  await clara.send(g, 'Das Angebot zum Durchsehen', { mediaId: offer.id });

  const lunch = await deniz.createConversation({
    kind: 'group',
    name: 'Kantine',
    memberIds: [(await anna.me()).id, (await ben.me()).id],
  });
  await ben.send(lunch.conversation.id, 'Heute gibt es Käsespätzle 🧀');
  await deniz.send(lunch.conversation.id, 'Wer kommt um 12 mit?');
  const old = await deniz.createConversation({ kind: 'direct', userId: (await anna.me()).id });
  await deniz.send(old.conversation.id, 'Die Schlüssel liegen am Empfang.');

  const third = await clara.createConversation({ kind: 'direct', userId: (await anna.me()).id });
  await clara.send(third.conversation.id, 'Kurze Frage zur Rechnung 2026-118 …');
  // How Anna keeps her list: the project pinned, the canteen muted, an old chat archived.
  await anna.setChatPrefs(g, { pinned: true });
  await anna.setChatPrefs(lunch.conversation.id, { mutedUntil: MUTED_FOREVER });
  await anna.setChatPrefs(old.conversation.id, { archived: true });
  // The team inbox: Anna and Ben serve the website's chat; two customers wrote in.
  const { team } = await anna.request<{ team: { id: string } }>('POST', '/api/v1/teams', {
    name: 'Kundenservice',
    memberIds: [annaAuth.user.id, (await ben.me()).id],
  });
  const { inbox } = await anna.request<{ inbox: { widgetKey: string; slug: string } }>('POST', '/api/v1/inboxes', {
    name: 'Muster GmbH',
    teamIds: [team.id],
    settings: { autoAssign: false },
  });
  await anna.inbox.createCannedReply({
    shortcut: 'hallo',
    text: 'Hallo {{contact.first_name}}, danke für Ihre Nachricht!',
  });
  const customer = (name: string, email: string) => {
    const client = new KurierClient({ baseUrl: base, WebSocket: WebSocket as never });
    const widget = client.widget(inbox.widgetKey);
    return { client, widget, start: () => widget.startVisitor({ name, email, consent: true, locale: 'de' }) };
  };
  const eva = customer('Eva Berger', 'eva.berger@example.com');
  const evaSession = await eva.start();
  const evaChat = await eva.widget.startConversation(
    'Guten Tag, meine Bestellung 4711 ist noch nicht angekommen.',
    'shot-1',
  );
  const tom = customer('Tom Richter', 'tom@example.org');
  await tom.start();
  await tom.widget.startConversation('Kann ich die Rechnung auch per Überweisung bezahlen?', 'shot-2');
  const support = evaChat.conversation.id;
  await anna.inbox.assign(support, annaAuth.user.id);
  await anna.send(support, 'Hallo Eva, danke für Ihre Nachricht! Ich sehe sofort nach.');
  await anna.send(support, '@ben Paket hängt seit Montag im Lager – kannst du das prüfen?', { note: true });
  await eva.client.connect();
  await eva.client.send(support, 'Vielen Dank, das ist sehr nett.');
  await anna.inbox.setLabels(support, ['versand']);
  eva.client.close();
  for (const c of [ben, clara, deniz]) c.close();

  mkdirSync(OUT, { recursive: true });
  const browser = await launchBrowser();
  const shoot = async (
    name: string,
    opts: {
      lang: 'de' | 'en';
      theme: 'light' | 'dark';
      phone?: boolean;
      path: string;
      loggedIn?: boolean;
      /** Something to do on the page before the picture (open a menu …). */
      act?: (page: Page) => Promise<void>;
    },
  ) => {
    const ctx = await browser.newContext({
      viewport: opts.phone ? { width: 390, height: 844 } : { width: 1280, height: 800 },
      deviceScaleFactor: opts.phone ? 2 : 1,
      locale: opts.lang === 'de' ? 'de-DE' : 'en-GB',
      colorScheme: opts.theme,
    });
    const session = opts.loggedIn === false ? null : { token: annaAuth.token, userId: annaAuth.user.id };
    await ctx.addInitScript(
      ({ session, lang, theme }) => {
        if (session) localStorage.setItem('kurier:session', JSON.stringify(session));
        localStorage.setItem('kurier:language', lang);
        localStorage.setItem('kurier:theme', theme);
      },
      { session, lang: opts.lang, theme: opts.theme },
    );
    const page = await ctx.newPage();
    await page.goto(`${base}${opts.path}`);
    await settle(page);
    await page
      .waitForFunction(
        () =>
          [...document.querySelectorAll('[data-testid="pdf-preview"]')].every(
            (c) => c.getAttribute('data-state') !== 'loading',
          ),
        undefined,
        { timeout: 5000 },
      )
      .catch(() => {});
    await opts.act?.(page);
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    await ctx.close();
    console.log(`docs/screenshots/${name}.png`);
  };
  await shoot('login-de-light', { lang: 'de', theme: 'light', path: '/login', loggedIn: false });
  await shoot('chat-de-light', { lang: 'de', theme: 'light', path: `/chats/${g}` });
  await shoot('chat-de-dark', { lang: 'de', theme: 'dark', path: `/chats/${dm}` });
  await shoot('chat-en-light', { lang: 'en', theme: 'light', path: `/chats/${dm}` });
  await shoot('chat-en-dark', { lang: 'en', theme: 'dark', path: `/chats/${g}` });
  await shoot('chat-menu-en-light', {
    lang: 'en',
    theme: 'light',
    path: `/chats/${dm}`,
    act: async (page) => {
      await page.locator('.chat-row', { hasText: 'Kantine' }).click({ button: 'right' });
      await page.getByRole('menu').waitFor();
    },
  });
  await shoot('settings-en-light', { lang: 'en', theme: 'light', path: '/settings' });
  await shoot('inbox-de-light', { lang: 'de', theme: 'light', path: `/inbox/${support}` });
  await shoot('inbox-en-dark', { lang: 'en', theme: 'dark', path: `/inbox/${support}` });
  await shoot('reports-de-light', { lang: 'de', theme: 'light', path: '/inbox/reports' });
  // The customer's side: the guest link, which is the widget as a page, with Eva's session.
  await shoot('widget-guest-de-light', {
    lang: 'de',
    theme: 'light',
    path: `/c/${inbox.slug}`,
    act: async (page) => {
      await page.evaluate(({ key, token }) => localStorage.setItem(`kurier-widget:${key}`, JSON.stringify({ token })), {
        key: inbox.widgetKey,
        token: evaSession.token,
      });
      await page.reload();
      await page.getByText('Vielen Dank, das ist sehr nett.').waitFor();
    },
  });
  await shoot('phone-list-de-light', { lang: 'de', theme: 'light', phone: true, path: '/' });
  await shoot('phone-chat-de-dark', { lang: 'de', theme: 'dark', phone: true, path: `/chats/${g}` });
  await shoot('phone-chat-en-light', { lang: 'en', theme: 'light', phone: true, path: `/chats/${dm}` });
  await browser.close();
  anna.close();
} finally {
  await kurier.close();
  rmSync(dataDir, { recursive: true, force: true });
}

/** A small drawn site plan (SVG rendered by sharp), a friendlier picture than noise. */
function sitePlan(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="640">
    <rect width="960" height="640" fill="#e8f5f2"/>
    <rect x="80" y="80" width="360" height="240" fill="#0f766e" opacity="0.85" rx="12"/>
    <rect x="500" y="120" width="380" height="180" fill="#f59e0b" opacity="0.85" rx="12"/>
    <rect x="160" y="380" width="640" height="180" fill="#0ea5e9" opacity="0.8" rx="12"/>
    <text x="110" y="130" font-family="sans-serif" font-size="34" fill="#fff">Halle A</text>
    <text x="530" y="170" font-family="sans-serif" font-size="34" fill="#fff">Büro</text>
    <text x="190" y="430" font-family="sans-serif" font-size="34" fill="#fff">Parkplatz</text>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** A one-page PDF with a heading and a few lines, written by hand (offsets in the xref). */
function offerPdf(): Buffer {
  const text = [
    'BT /F1 28 Tf 72 760 Td (Angebot 2026-118) Tj ET',
    'BT /F1 14 Tf 72 720 Td (Mueller & Co. GmbH - Projekt Nord) Tj ET',
    'BT /F1 12 Tf 72 680 Td (Pos. 1  Planung            4.800,00 EUR) Tj ET',
    'BT /F1 12 Tf 72 660 Td (Pos. 2  Umsetzung         12.300,00 EUR) Tj ET',
    'BT /F1 12 Tf 72 630 Td (Summe netto              17.100,00 EUR) Tj ET',
  ].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Waits until the app has loaded its data and the connection banner is gone. */
async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page
    .waitForFunction(() => !document.querySelector('[data-testid="connection-banner"]'), undefined, {
      timeout: 5000,
    })
    .catch(() => {});
  await page.waitForTimeout(400);
}
