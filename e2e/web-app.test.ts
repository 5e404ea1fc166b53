import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser } from '../test/browser.js';
import { classicPdf, noisePng } from '../test/files.js';
import { startServer, type TestServer } from '../test/harness.js';

const PASSWORD = 'correct horse battery staple';

// One server and two browser contexts (two people on two machines) for the whole journey:
// each step builds on the one before, as a real first day with Kurier does.
describe.skipIf(!browserAvailable())('web app: two people in two browsers', () => {
  let server: TestServer;
  let browser: Browser;
  let annaCtx: BrowserContext;
  let benCtx: BrowserContext;
  let anna: Page;
  let ben: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    annaCtx = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } });
    benCtx = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 } });
    anna = await annaCtx.newPage();
    ben = await benCtx.newPage();
    for (const page of [anna, ben]) {
      page.setDefaultTimeout(8_000);
      page.on('pageerror', (e) => errors.push(e.message));
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('W1: the owner sets up Kurier from the setup link (German browser, German UI)', async () => {
    const link = (await server.kurier.accounts.setupLink()) ?? '';
    await anna.goto(`${server.url}/setup${new URL(link).search}`);
    await anna.getByLabel('Dein Name').fill('Anna Schmidt');
    await anna.getByLabel('Benutzername').fill('anna');
    await anna.getByLabel('Passwort (mindestens 10 Zeichen)').fill(PASSWORD);
    await anna.getByRole('button', { name: 'Eigentümer-Konto anlegen' }).click();
    await anna.getByText('Noch keine Chats').waitFor();
    expect(new URL(anna.url()).pathname).toBe('/');
  });

  it('W2: she invites Ben; he joins from the link (English browser, English UI)', async () => {
    await anna.getByRole('button', { name: 'Einstellungen' }).first().click();
    await anna.getByRole('button', { name: 'Einladungslink erstellen' }).click();
    const url = await anna.getByTestId('invite-url').inputValue();
    expect(url).toContain('/invite?token=');
    await ben.goto(`${server.url}${new URL(url).pathname}${new URL(url).search}`);
    await ben.getByLabel('Your name').fill('Ben Weber');
    await ben.getByLabel('Username').fill('ben');
    await ben.getByLabel('Password (at least 10 characters)').fill(PASSWORD);
    await ben.getByRole('button', { name: 'Create account' }).click();
    await ben.getByText('No chats yet').waitFor();
  });

  it('W3: a 1:1 chat: message, delivered and read ticks, typing, reply', async () => {
    await anna.getByRole('button', { name: 'Neuer Chat' }).click();
    await anna.getByRole('button', { name: /Ben Weber/ }).click();
    await send(anna, 'Hallo Ben! Siehe https://example.com/plan');
    // Ben's list shows the new chat with its preview and an unread badge; opening it reads it.
    const row = ben.getByRole('link', { name: /Anna Schmidt/ });
    await row.getByText('1 unread message').waitFor();
    await row.getByText('Hallo Ben! Siehe').waitFor();
    await row.click();
    await chat(ben).getByText('Hallo Ben!').waitFor();
    await expect.poll(() => lastTick(anna)).toBe('read');
    await expect.poll(() => row.getByText(/unread/).count()).toBe(0);
    const link = chat(ben).getByRole('link', { name: 'https://example.com/plan' });
    expect(await link.getAttribute('rel')).toContain('noopener');

    await ben.getByLabel('Write a message').pressSequentially('Hi Anna', { delay: 20 });
    await anna.getByTestId('conversation-status').getByText('Ben Weber schreibt …').waitFor();
    await ben.getByLabel('Write a message').press('Enter');
    await chat(anna).getByText('Hi Anna').waitFor();

    const hello = ben.locator('[data-message-id]', { hasText: 'Hallo Ben!' });
    await hello.hover();
    await hello.getByRole('button', { name: 'Reply' }).click();
    await ben.getByText('Replying to Anna Schmidt').waitFor();
    await send(ben, 'Sieht gut aus');
    const reply = anna.locator('[data-message-id]', { hasText: 'Sieht gut aus' });
    await expect.poll(() => reply.locator('.quote').textContent()).toContain('Hallo Ben!');
  });

  it('W4: a group: created by Anna, Ben sees it and its messages live', async () => {
    await anna.getByRole('button', { name: 'Neue Gruppe' }).click();
    await anna.getByLabel('Gruppenname').fill('Projekt Nord');
    await anna.getByRole('checkbox').check();
    await anna.getByRole('button', { name: 'Gruppe erstellen' }).click();
    await anna.getByRole('heading', { name: 'Projekt Nord' }).waitFor();
    await send(anna, 'Willkommen im Projekt');
    await ben.getByRole('link', { name: /Projekt Nord/ }).click();
    await chat(ben).getByText('Willkommen im Projekt').waitFor();
    await chat(ben).getByText('Anna Schmidt created the group “Projekt Nord”').waitFor();
  });

  it('W12: an image and a PDF: attached, uploaded with progress, shown as thumbnail and first-page card', async () => {
    const png = await noisePng(800, 600);
    await anna.locator('input[type="file"]').setInputFiles([
      { name: 'baustelle.png', mimeType: 'image/png', buffer: png },
      { name: 'angebot.pdf', mimeType: 'application/pdf', buffer: classicPdf(3) },
    ]);
    const thumb = chat(ben).getByTestId('image-thumbnail');
    await thumb.waitFor();
    await expect
      .poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBeGreaterThan(0);
    // The thumbnail, not the original: smaller than the 800 px upload.
    expect(await thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeLessThanOrEqual(480);
    const card = chat(ben).getByTestId('pdf-card');
    await card.getByText('angebot.pdf').waitFor();
    await card.getByText('3 pages').waitFor();
    await expect
      .poll(() => card.getByTestId('pdf-preview').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('ready');
    await thumb.click();
    await ben.getByRole('dialog', { name: 'baustelle.png' }).getByRole('img').waitFor();
    await ben.keyboard.press('Escape');
    await expect.poll(() => ben.getByRole('dialog').count()).toBe(0);
  });

  it('W15: a slow upload shows its progress and can be cancelled; nothing is sent', async () => {
    const cdp = await annaCtx.newCDPSession(anna);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 256 * 1024,
    });
    await anna.locator('input[type="file"]').setInputFiles({
      name: 'gross.bin',
      mimeType: 'application/octet-stream',
      buffer: randomBytes(3 * 1024 * 1024),
    });
    const bar = anna.getByTestId('uploads').getByRole('progressbar', { name: 'gross.bin' });
    await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(Number(await bar.getAttribute('value'))).toBeLessThan(3 * 1024 * 1024);
    await anna.getByRole('button', { name: 'Hochladen abbrechen' }).click();
    await expect.poll(() => anna.getByTestId('uploads').count()).toBe(0);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await send(anna, 'nach dem Abbruch');
    await chat(ben).getByText('nach dem Abbruch').waitFor();
    expect(await chat(ben).getByText('gross.bin').count()).toBe(0);
    // Chrome's throttle may let the bytes reach the server before the abort lands; what
    // matters is that no message carries the file (unreferenced uploads are never shown).
    const sent = await server.kurier.database.db
      .selectFrom('messages')
      .innerJoin('media', 'media.id', 'messages.media_id')
      .select('media.name')
      .where('media.name', '=', 'gross.bin')
      .execute();
    expect(sent).toEqual([]);
  });

  it('W5: offline, two messages wait as pending; back online, each arrives exactly once', async () => {
    await benCtx.setOffline(true);
    await ben.getByTestId('connection-banner').waitFor();
    await send(ben, 'Offline eins');
    await send(ben, 'Offline zwei');
    await expect.poll(() => ben.locator('[data-pending]').count()).toBe(2);
    // Really offline: nothing leaves while the network is down.
    await ben.waitForTimeout(1500);
    expect(await ben.locator('[data-pending]').count()).toBe(2);
    expect(await chat(anna).getByText('Offline eins').count()).toBe(0);
    await benCtx.setOffline(false);
    await expect.poll(() => ben.locator('[data-pending]').count(), { timeout: 15_000 }).toBe(0);
    await chat(anna).getByText('Offline zwei').waitFor();
    await anna.waitForTimeout(500);
    expect(await chat(anna).getByText('Offline eins', { exact: true }).count()).toBe(1);
    expect(await chat(anna).getByText('Offline zwei', { exact: true }).count()).toBe(1);
    const stored = await server.kurier.database.db
      .selectFrom('messages')
      .select(['text', 'client_msg_id'])
      .where('text', 'in', ['Offline eins', 'Offline zwei'])
      .execute();
    expect(stored.map((r) => r.text).sort()).toEqual(['Offline eins', 'Offline zwei']);
    // The app's client ids are the SDK's, time first: the server's index of them appends.
    for (const r of stored) expect(r.client_msg_id).toMatch(/^[0-9a-z]{9}-[0-9a-f]{20}$/);
  });

  it('W11: recently opened chats stay readable offline, even after a reload', async () => {
    // Snapshots are written every few seconds; the service worker caches the app shell.
    await ben.waitForTimeout(3500);
    const controlled = await ben.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
      }
      return Boolean(navigator.serviceWorker.controller);
    });
    expect(controlled).toBe(true);
    await benCtx.setOffline(true);
    await ben.reload();
    await ben.getByRole('link', { name: /Projekt Nord/ }).waitFor();
    await chat(ben).getByText('Willkommen im Projekt').waitFor();
    await ben.getByTestId('connection-banner').waitFor();
    await benCtx.setOffline(false);
    await expect.poll(() => ben.getByTestId('connection-banner').count(), { timeout: 15_000 }).toBe(0);
  });

  it('W17: pin, mute and archive chats from the row menu (mouse and keyboard); muted chats stay quiet', async () => {
    const annaRow = ben.locator('.chat-row', { hasText: 'Anna Schmidt' });
    const groupRow = ben.locator('.chat-row', { hasText: 'Projekt Nord' });
    // Keyboard: focus the row's options button, open it, choose with the arrows.
    await annaRow.getByRole('button', { name: 'Chat options: Anna Schmidt' }).focus();
    await ben.keyboard.press('Enter');
    const menu = ben.getByRole('menu', { name: 'Chat options: Anna Schmidt' });
    await expect
      .poll(() => menu.getByRole('menuitem', { name: 'Pin chat' }).evaluate((b) => b === document.activeElement))
      .toBe(true);
    await ben.keyboard.press('Enter');
    await annaRow.getByText('Pinned').waitFor();
    await expect.poll(() => ben.locator('.chat-row .row-title').first().textContent()).toBe('Anna Schmidt');
    await annaRow.getByRole('link').click();

    // Mouse: right click opens the same menu; mute the group for good.
    await groupRow.click({ button: 'right' });
    await ben.getByRole('menuitem', { name: 'Mute always' }).click();
    await groupRow.getByText('Muted').waitFor();
    await send(anna, 'Leise bitte');
    await groupRow.getByText('1 unread message').waitFor();
    expect(await ben.title()).toBe('Kurier');

    // Archive: out of the list, into "Archived" with its unread count; unarchive from there.
    await groupRow.click({ button: 'right' });
    await ben.getByRole('menuitem', { name: 'Archive chat' }).click();
    await expect.poll(() => groupRow.count()).toBe(0);
    await ben.getByRole('button', { name: /Archived.*1 unread message/ }).click();
    await groupRow.getByText('Muted').waitFor();
    await groupRow.getByRole('button', { name: 'Chat options: Projekt Nord' }).click();
    await ben.keyboard.press('Escape');
    await expect.poll(() => ben.getByRole('menu').count()).toBe(0);
    await ben.getByRole('button', { name: 'Back' }).click();
    await expect.poll(() => groupRow.count()).toBe(0);

    // The server keeps it: after a reload the pin, the mute and the archive are still there.
    await ben.reload();
    await annaRow.getByText('Pinned').waitFor();
    await ben.getByRole('button', { name: /Archived/ }).click();
    await groupRow.getByRole('button', { name: 'Chat options: Projekt Nord' }).click();
    await ben.getByRole('menuitem', { name: 'Unarchive chat' }).click();
    // The archive is empty now, so the list goes back to the main chats by itself.
    await ben.locator('.chat-row', { hasText: 'Anna Schmidt' }).waitFor();
    await groupRow.waitFor();
    await groupRow.getByRole('button', { name: 'Chat options: Projekt Nord' }).click();
    await ben.getByRole('menuitem', { name: 'Unmute' }).click();
    await expect.poll(() => groupRow.getByText('Muted').count()).toBe(0);
    await expect.poll(() => ben.title()).toBe('(1) Kurier');
    // Anna never sees Ben's choices.
    expect(await anna.locator('.row-flag').count()).toBe(0);
    await groupRow.getByRole('link').click();
    await expect.poll(() => ben.title()).toBe('Kurier');
  });

  it('W19: desktop notifications while the window is hidden, none from muted chats', async () => {
    await benCtx.grantPermissions(['notifications'], { origin: server.url });
    const hidden = await benCtx.newPage();
    hidden.on('pageerror', (e) => errors.push(e.message));
    // A window in the background: the page reports itself hidden, and a spy records what the
    // app shows through the real Notification API.
    await hidden.addInitScript(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      localStorage.setItem('kurier:notifications', 'on');
      const shown: { title: string; body: string | undefined }[] = [];
      const Real = window.Notification;
      class Recorded extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push({ title, body: options?.body });
        }
      }
      Object.assign(window, { Notification: Recorded, shown });
    });
    await hidden.goto(`${server.url}/`);
    const groupRow = hidden.locator('.chat-row', { hasText: 'Projekt Nord' });
    await groupRow.click({ button: 'right' });
    await hidden.getByRole('menuitem', { name: 'Mute for 8 hours' }).click();
    await groupRow.getByText('Muted').waitFor();

    await send(anna, 'Stumm im Projekt');
    await anna.locator('.chat-row', { hasText: 'Ben Weber' }).getByRole('link').click();
    await send(anna, 'Direkt an Ben');
    const shown = () => hidden.evaluate(() => (window as unknown as { shown: unknown[] }).shown);
    // Changes arrive in commit order: once the direct message is shown, the group one was seen.
    await expect.poll(shown).toEqual([{ title: 'Anna Schmidt', body: 'Direkt an Ben' }]);

    await groupRow.click({ button: 'right' });
    await hidden.getByRole('menuitem', { name: 'Unmute' }).click();
    await hidden.close();
    await anna.locator('.chat-row', { hasText: 'Projekt Nord' }).getByRole('link').click();
  });

  it('W6: text is never HTML, and no page threw', async () => {
    await send(anna, '<img src=x onerror="window.__pwned=1"><b>fett</b>');
    await chat(ben).getByText('<b>fett</b>', { exact: false }).waitFor();
    expect(await ben.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await ben.locator('.bubble b').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});

/** The open conversation's history (the chat list shows message previews too). */
function chat(page: Page) {
  return page.getByTestId('message-list');
}

async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: /Nachricht schreiben|Write a message/ });
  await box.fill(text);
  await box.press('Enter');
}

async function lastTick(page: Page): Promise<string | null> {
  return page.locator('.message.mine [data-tick]').last().getAttribute('data-tick');
}
