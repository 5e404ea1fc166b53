import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { MUTED_FOREVER } from '@kurier/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser, signedInContext } from '../test/browser.js';
import { createInbox, createOwner, createTeam, createUser, createVisitor, type TestUser } from '../test/factories.js';
import { startServer, type TestServer } from '../test/harness.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Runs axe-core in the page; returns the serious and critical findings (WCAG 2.1 A/AA). */
async function audit(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the app's CSP rightly refuses injected inline scripts.
  await page.evaluate(AXE);
  const violations = (await page.evaluate(
    `axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }).then((r) => r.violations)`,
  )) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe.skipIf(!browserAvailable())('web app accessibility (axe-core, WCAG 2.1 AA)', () => {
  let server: TestServer;
  let browser: Browser;
  let anna: TestUser;
  let chatId: string;

  beforeAll(async () => {
    server = await startServer();
    anna = await createOwner(server, 'anna');
    const ben = await createUser(server, anna, 'ben');
    await anna.client.connect();
    const group = await anna.client.createConversation({ kind: 'group', name: 'Projekt', memberIds: [ben.id] });
    chatId = group.conversation.id;
    const first = await anna.client.send(chatId, 'Guten Morgen! https://example.com');
    await anna.client.react(first.id, '👍');
    await anna.client.send(chatId, 'Zweite Nachricht', { replyToId: first.id });
    // A muted chat with unread messages: its quiet badge must keep its contrast too.
    const direct = await ben.client.createConversation({ kind: 'direct', userId: anna.id });
    await ben.client.connect();
    await ben.client.send(direct.conversation.id, 'Ungelesen');
    await anna.client.setChatPrefs(direct.conversation.id, { mutedUntil: MUTED_FOREVER, pinned: true });
    ben.client.close();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    anna?.client.close();
    await browser?.close();
    await server?.close();
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`W13: login, chat and settings have no serious WCAG findings (${theme})`, async () => {
      const ctx = await browser.newContext({ colorScheme: theme, locale: 'de-DE' });
      const page = await ctx.newPage();
      await page.goto(`${server.url}/login`);
      await page.getByRole('button', { name: 'Anmelden' }).waitFor();
      expect(await audit(page)).toEqual([]);

      await ctx.addInitScript((s) => localStorage.setItem('kurier:session', JSON.stringify(s)), {
        token: anna.token,
        userId: anna.id,
      });
      await page.goto(`${server.url}/chats/${chatId}`);
      await page.getByTestId('message-list').getByText('Zweite Nachricht').waitFor();
      expect(await audit(page)).toEqual([]);
      // With a chat's menu open.
      await page.locator('.chat-row', { hasText: 'ben' }).click({ button: 'right' });
      await page.getByRole('menu').waitFor();
      expect(await audit(page)).toEqual([]);
      await page.keyboard.press('Escape');

      await page.goto(`${server.url}/settings`);
      await page.getByRole('button', { name: 'Abmelden', exact: true }).waitFor();
      expect(await audit(page)).toEqual([]);
      await ctx.close();
    });
  }

  for (const theme of ['light', 'dark'] as const) {
    it(`I14: the inbox, a customer conversation and the customer's chat have no serious WCAG findings (${theme})`, async () => {
      const team = await createTeam(anna, `Team ${theme}`, [anna]);
      const inbox = await createInbox(anna, { name: `Shop ${theme}`, teams: [team], settings: { autoAssign: false } });
      const eva = await createVisitor(server, inbox.widgetKey);
      const started = await eva.start('Wo ist meine Bestellung?');
      const id = started.conversation.id;
      await anna.client.inbox.assign(id, anna.id);
      await anna.client.send(id, 'Intern: prüfen', { note: true });
      await anna.client.inbox.setLabels(id, ['versand']);
      eva.client.close();

      const ctx = await signedInContext(browser, anna, { colorScheme: theme, locale: 'de-DE' });
      const page = await ctx.newPage();
      await page.goto(`${server.url}/inbox/${id}`);
      await page.getByTestId('message-list').getByText('Intern: prüfen').waitFor();
      await page.getByRole('heading', { name: 'Eva Kundin' }).first().waitFor();
      expect(await audit(page)).toEqual([]);

      const guest = await (await browser.newContext({ colorScheme: theme, locale: 'de-DE' })).newPage();
      await guest.goto(`${server.url}/c/${inbox.slug}`);
      await guest.getByRole('button', { name: 'Chat starten' }).waitFor();
      expect(await audit(guest)).toEqual([]);
      await guest.evaluate(
        ({ key, token }) => localStorage.setItem(`kurier-widget:${key}`, JSON.stringify({ token })),
        { key: inbox.widgetKey, token: eva.session.token },
      );
      await guest.reload();
      await guest.getByText('Wo ist meine Bestellung?').waitFor();
      expect(await audit(guest)).toEqual([]);
      await ctx.close();
      await guest.context().close();
      // Three audits in two browser contexts: slow on a busy 2-core machine.
    }, 90_000);
  }

  it('W16: Chromium finds the app installable (manifest, icons, service worker)', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${server.url}/login`);
    await page.evaluate(() => navigator.serviceWorker.ready);
    const cdp = await ctx.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    // Playwright's contexts are incognito profiles, which Chromium never installs apps from;
    // every other check (manifest, icons, service worker, secure origin) must pass.
    expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.errors).toEqual([]);
    await ctx.close();
  });

  it('W14: the keyboard alone reaches search, chats and the composer', async () => {
    const ctx = await signedInContext(browser, anna, { locale: 'en-GB' });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/`);
    await page.getByRole('link', { name: /Projekt/ }).waitFor();
    await page.keyboard.press('Control+k');
    await page.getByRole('dialog', { name: 'Search' }).waitFor();
    await page.keyboard.type('Projekt');
    await page.getByRole('dialog').getByRole('button', { name: 'Projekt' }).waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    // The pinned chat with Ben leads the list, Projekt follows.
    await page.keyboard.press('Alt+ArrowDown');
    await page.getByRole('heading', { name: 'Ben' }).waitFor();
    await page.keyboard.press('Alt+ArrowDown');
    await page.getByRole('heading', { name: 'Projekt' }).waitFor();
    const box = page.getByRole('textbox', { name: 'Write a message' });
    await box.focus();
    await page.keyboard.type('Zeile eins');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('Zeile zwei');
    await page.keyboard.press('Enter');
    await page.getByTestId('message-list').getByText('Zeile eins\nZeile zwei').waitFor();
    await ctx.close();
  });
});
