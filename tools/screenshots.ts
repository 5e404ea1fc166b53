// `npm run screenshots`: starts a real Kurier on a temporary data directory, fills it with a few
// people and chats through the SDK, and photographs the real web app in Debian's Chromium —
// German and English, light and dark, desktop and phone width — into docs/screenshots/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { KurierClient } from '@kurier/sdk';
import { buildApp, loadConfig } from '@kurier/server';
import WebSocket from 'ws';
import { launchBrowser } from '../test/browser.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'docs', 'screenshots');
execFileSync(process.execPath, [join(ROOT, 'packages/web/scripts/ensure-built.mjs')], { stdio: 'inherit' });
const PASSWORD = 'correct horse battery staple';
const dataDir = mkdtempSync(join(tmpdir(), 'kurier-shots-'));
const kurier = await buildApp({ ...loadConfig({ KURIER_DATA_DIR: dataDir }), logLevel: 'silent' });
const base = await kurier.app.listen({ port: 0, host: '127.0.0.1' });
const client = (token?: string) =>
  new KurierClient({ baseUrl: base, WebSocket: WebSocket as never, ...(token ? { token } : {}) });

try {
  const setup = new URL((await kurier.accounts.setupLink()) ?? '').searchParams.get('token') ?? '';
  const annaAuth = await client().setup({
    token: setup,
    username: 'anna',
    displayName: 'Anna Schmidt',
    password: PASSWORD,
  });
  const anna = client(annaAuth.token);
  const people: Record<string, KurierClient> = {};
  for (const [username, displayName] of [
    ['ben', 'Ben Weber'],
    ['clara', 'Clara Nowak'],
    ['deniz', 'Deniz Yılmaz'],
  ] as const) {
    const invite = await anna.request<{ token: string }>('POST', '/api/v1/invites', { role: 'member' });
    const auth = await client().acceptInvite({ token: invite.token, username, displayName, password: PASSWORD });
    people[username] = client(auth.token);
  }
  const ben = people.ben as KurierClient;
  const clara = people.clara as KurierClient;
  const deniz = people.deniz as KurierClient;
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

  const third = await clara.createConversation({ kind: 'direct', userId: (await anna.me()).id });
  await clara.send(third.conversation.id, 'Kurze Frage zur Rechnung 2026-118 …');
  for (const c of [ben, clara, deniz]) c.close();

  mkdirSync(OUT, { recursive: true });
  const browser = await launchBrowser();
  const shoot = async (
    name: string,
    opts: { lang: 'de' | 'en'; theme: 'light' | 'dark'; phone?: boolean; path: string; loggedIn?: boolean },
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
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    await ctx.close();
    console.log(`docs/screenshots/${name}.png`);
  };
  await shoot('login-de-light', { lang: 'de', theme: 'light', path: '/login', loggedIn: false });
  await shoot('chat-de-light', { lang: 'de', theme: 'light', path: `/chats/${g}` });
  await shoot('chat-de-dark', { lang: 'de', theme: 'dark', path: `/chats/${dm}` });
  await shoot('chat-en-light', { lang: 'en', theme: 'light', path: `/chats/${dm}` });
  await shoot('chat-en-dark', { lang: 'en', theme: 'dark', path: `/chats/${g}` });
  await shoot('settings-en-light', { lang: 'en', theme: 'light', path: '/settings' });
  await shoot('phone-list-de-light', { lang: 'de', theme: 'light', phone: true, path: '/' });
  await shoot('phone-chat-de-dark', { lang: 'de', theme: 'dark', phone: true, path: `/chats/${g}` });
  await shoot('phone-chat-en-light', { lang: 'en', theme: 'light', phone: true, path: `/chats/${dm}` });
  await browser.close();
  anna.close();
} finally {
  await kurier.close();
  rmSync(dataDir, { recursive: true, force: true });
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
