import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser, signedInContext } from '../test/browser.js';
import { createInbox, createOwner, createStaff, createTeam, type TestUser, until } from '../test/factories.js';
import { startServer, type TestServer } from '../test/harness.js';

// The journey: a customer writes in the widget on a website; an agent works the
// conversation in the desktop app (assign, canned reply, note, resolve); the customer rates it;
// the report shows it with its first response time. Two browsers, one real server.
describe.skipIf(!browserAvailable())('team inbox: customer in the widget, agent in the app', () => {
  let server: TestServer;
  let site: Server;
  let browser: Browser;
  let customer: Page;
  let agent: Page;
  let widget: FrameLocator;
  let owner: TestUser;
  let ana: TestUser;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    owner = await createOwner(server, 'owner');
    ana = await createStaff(server, owner, { username: 'ana', role: 'agent' });
    const team = await createTeam(owner, 'Support', [ana]);
    const inbox = await createInbox(owner, { name: 'Muster GmbH', teams: [team], settings: { autoAssign: false } });
    await ana.client.inbox.createCannedReply({
      shortcut: 'hallo',
      text: 'Hallo {{contact.first_name}}, hier ist {{agent.name}}!',
    });
    site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><title>Shop</title><script src="${server.url}/widget.js" data-key="${inbox.widgetKey}" async></script>`,
      );
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    browser = await launchBrowser();
    customer = await (await browser.newContext({ locale: 'de-DE' })).newPage();
    agent = await (
      await signedInContext(browser, ana, { locale: 'de-DE', viewport: { width: 1280, height: 800 } })
    ).newPage();
    for (const page of [customer, agent]) {
      page.setDefaultTimeout(8_000);
      page.on('pageerror', (e) => errors.push(e.message));
    }
    widget = customer.frameLocator('iframe[title="Chat"]');
    await customer.goto(`http://localhost:${(site.address() as AddressInfo).port}/`);
  });

  afterAll(async () => {
    for (const u of [owner, ana]) u?.client.close();
    await browser?.close();
    await new Promise((r) => site?.close(r));
    await server?.close();
  });

  it('I8: the customer writes; the conversation appears unassigned in the agent’s inbox, live', async () => {
    await agent.goto(`${server.url}/inbox`);
    await agent.getByRole('button', { name: /Offen/ }).click();
    await agent.getByText('Niemand wartet. Gut gemacht!').waitFor();
    await widget.getByRole('button', { name: 'Chat öffnen' }).click();
    await widget.getByLabel('Name').fill('Eva Kundin');
    await widget.getByLabel('E-Mail').fill('eva@example.com');
    await widget.getByLabel('Ihre Nachricht').fill('Meine Rechnung stimmt nicht.');
    await widget.getByRole('checkbox').check();
    await widget.getByRole('button', { name: 'Chat starten' }).click();
    await agent.getByRole('link', { name: /Eva Kundin/ }).waitFor();
    await agent.getByRole('link', { name: /Eva Kundin/ }).click();
    await agent.getByText('Meine Rechnung stimmt nicht.').waitFor();
  });

  it('I9: the agent takes it and answers with a canned reply; the customer sees typing, the answer and “read”', async () => {
    await agent.getByRole('button', { name: 'Übernehmen' }).click();
    await widget.getByText('Ana ist dem Chat beigetreten').waitFor();
    const box = agent.getByRole('textbox', { name: 'Nachricht schreiben', exact: true });
    await box.fill('/hal');
    await agent.getByText('/hallo').waitFor();
    await box.press('Enter');
    await expect.poll(() => box.inputValue()).toBe('Hallo Eva, hier ist Ana!');
    await box.press('Space');
    await widget.getByText('Ana schreibt …').waitFor();
    await box.press('Enter');
    await widget.getByText('Hallo Eva, hier ist Ana!').waitFor();
    await widget.getByLabel('Nachricht schreiben …').fill('Danke, die Nummer ist 4711.');
    await widget.getByLabel('Nachricht schreiben …').press('Enter');
    await agent.getByText('Danke, die Nummer ist 4711.').waitFor();
    await widget.getByText('Gelesen').waitFor();
  });

  it('I10: a private note stays with the team', async () => {
    await agent.getByRole('tab', { name: 'Interne Notiz' }).click();
    const note = agent.getByRole('textbox', { name: 'Interne Notiz – der Kunde sieht sie nicht' });
    await note.fill('Gutschrift vorbereiten');
    await note.press('Enter');
    await agent.locator('.message.note').getByText('Gutschrift vorbereiten').waitFor();
    await agent.getByRole('tab', { name: 'Antworten' }).click();
    await agent
      .getByRole('textbox', { name: 'Nachricht schreiben', exact: true })
      .fill('Wir schreiben Ihnen die Differenz gut.');
    await agent.getByRole('textbox', { name: 'Nachricht schreiben', exact: true }).press('Enter');
    await widget.getByText('Wir schreiben Ihnen die Differenz gut.').waitFor();
    expect(await widget.getByText('Gutschrift vorbereiten').count()).toBe(0);
  });

  it('I11: resolve, the customer rates, the report shows the conversation with its first response time', async () => {
    await agent.getByRole('button', { name: 'Erledigt', exact: true }).click();
    await widget.getByText('Das Gespräch wurde beendet.').waitFor();
    await widget.getByRole('radio', { name: '4 von 5' }).check();
    await widget.getByRole('button', { name: 'Bewertung senden' }).click();
    await widget.getByText('Danke für Ihre Bewertung!').waitFor();
    await agent.getByText('Bewertet mit 4/5').waitFor();

    const ownerPage = await (await signedInContext(browser, owner, { locale: 'de-DE' })).newPage();
    await ownerPage.goto(`${server.url}/inbox/reports`);
    await expect.poll(() => ownerPage.getByTestId('kpi-conversations').textContent()).toBe('1');
    const frt = await ownerPage.getByTestId('kpi-first-response').textContent();
    expect(frt).toMatch(/\d/);
    await ownerPage.getByText('4 / 5').waitFor();
    await until(() => errors.length === 0, 'no page errors');
    expect(errors).toEqual([]);
  });
});
