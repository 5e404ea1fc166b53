import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser, signedInContext } from '../test/browser.js';
import { createOwner, createStaff, createVisitor, type TestUser } from '../test/factories.js';
import { startServer, type TestServer } from '../test/harness.js';

// The admin's side of the team inbox in the app: setting it up in Settings, and the contacts page.
describe.skipIf(!browserAvailable())('team inbox setup and contacts in the app', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let owner: TestUser;
  let ana: TestUser;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    owner = await createOwner(server, 'owner');
    ana = await createStaff(server, owner, { username: 'ana', role: 'agent' });
    browser = await launchBrowser();
    const ctx = await signedInContext(browser, owner, { locale: 'de-DE', viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
    page.setDefaultTimeout(8_000);
    page.on('pageerror', (e) => errors.push(e.message));
  });

  afterAll(async () => {
    for (const u of [owner, ana]) u?.client.close();
    await browser?.close();
    await server?.close();
  });

  it('I15: the owner sets up a team, an inbox with its embed code and guest link, a canned reply and capacity', async () => {
    await page.goto(`${server.url}/settings`);
    const setup = page.getByRole('group', { name: 'Team-Postfach' });
    const add = (placeholder: string) => setup.locator('form', { has: page.getByPlaceholder(placeholder) });
    await add('Neues Team').getByPlaceholder('Neues Team').fill('Support');
    await add('Neues Team').getByRole('button', { name: 'Hinzufügen' }).click();
    const team = setup.locator('.team', { hasText: 'Support' });
    await team.getByLabel('Ana').click(); // saved, then shown checked
    await expect.poll(async () => (await owner.client.inbox.teams())[0]?.memberIds).toEqual([ana.id]);
    await expect.poll(() => team.getByLabel('Ana').isChecked()).toBe(true);

    await add('Neues Postfach (z. B. „Website“)').getByPlaceholder('Neues Postfach (z. B. „Website“)').fill('Website');
    await add('Neues Postfach (z. B. „Website“)').getByRole('button', { name: 'Hinzufügen' }).click();
    const card = setup.locator('.inbox-card', { hasText: 'Website' });
    await expect
      .poll(() => card.getByLabel('Vor </body> in eure Website einfügen').inputValue())
      .toMatch(new RegExp(`^<script src="${server.url}/widget\\.js" data-key="wk_[\\w-]+" async></script>$`));
    expect(await card.getByLabel('Gast-Link (für E-Mails und QR-Codes)').inputValue()).toMatch(/\/c\/[a-z0-9-]+$/);
    await card.getByLabel('Support').click();
    await expect.poll(async () => (await owner.client.inbox.inboxes())[0]?.teamIds.length).toBe(1);
    await expect.poll(() => card.getByLabel('Support').isChecked()).toBe(true);

    await setup.getByLabel('Kürzel').fill('danke');
    await setup.getByLabel('Text', { exact: true }).fill('Danke, {{contact.first_name}}!');
    await setup.locator('.canned-form').getByRole('button', { name: 'Hinzufügen' }).click();
    await setup.getByText('/danke').waitFor();

    const capacity = setup.getByLabel('Kapazität von Ana');
    await capacity.fill('4');
    await capacity.blur();
    await expect
      .poll(async () => (await owner.client.inbox.agents()).find((a) => a.userId === ana.id)?.capacity)
      .toBe(4);
  });

  it('I16: contacts: search, merge a duplicate, export and import CSV, block', async () => {
    const [inbox] = await owner.client.inbox.inboxes();
    const first = await createVisitor(server, inbox?.widgetKey as string, {
      name: 'Eva Kundin',
      email: 'eva@example.com',
    });
    await first.start('Erste Anfrage');
    const second = await createVisitor(server, inbox?.widgetKey as string, {
      name: 'Eva Kundin',
      email: 'eva@example.com',
    });
    await second.start('Zweite Anfrage');
    await page.goto(`${server.url}/inbox/contacts`);
    await page.getByRole('searchbox').fill('eva');
    const rows = page.locator('tbody tr', { hasText: 'Eva Kundin' });
    await expect.poll(() => rows.count()).toBe(2);

    await rows.nth(0).getByRole('button', { name: 'Dublette …' }).click();
    await rows.nth(1).getByRole('button', { name: 'Hierher zusammenführen' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    const profile = page.getByRole('complementary', { name: 'Kontaktprofil' });
    await expect.poll(() => profile.locator('.contact-history li').count()).toBe(2);

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'CSV exportieren' }).click();
    const csv = await readFile((await (await download).path()) as string, 'utf8');
    expect(csv).toContain('Eva Kundin');
    expect(csv.split('\n').filter((l) => l.includes('Eva Kundin'))).toHaveLength(1);

    await page
      .locator('label', { hasText: 'CSV importieren' })
      .locator('input[type="file"]')
      .setInputFiles({
        name: 'kontakte.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from('name,email,tags\nMax Muster,max@example.com,vip\n,not-an-address,\n'),
      });
    await page.getByText('1 angelegt, 0 aktualisiert, 1 Zeilen mit Fehlern').waitFor();
    await page.getByRole('searchbox').fill('max');
    await page.locator('tbody tr', { hasText: 'Max Muster' }).waitFor();

    await page.getByRole('searchbox').fill('eva');
    await rows.first().getByRole('button', { name: 'Eva Kundin' }).click();
    page.once('dialog', (d) => void d.accept());
    await profile.getByRole('button', { name: 'Sperren' }).click();
    await profile.getByRole('button', { name: 'Entsperren' }).waitFor();
    const eva = (await owner.client.inbox.contacts({ q: 'eva' })).contacts[0];
    expect(eva?.blockedAt).not.toBeNull();
    first.client.close();
    second.client.close();
    expect(errors).toEqual([]);
  });
});
