import type { ConversationDetail } from '@kurier/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchBrowser, signedInContext } from '../test/browser.js';
import { createOwner, createUser, type TestUser } from '../test/factories.js';
import { startServer, type TestServer } from '../test/harness.js';

const MESSAGES = 450;

/** Sequence numbers of the messages at least partly inside the visible history. */
function visibleSeqs(page: Page): Promise<number[]> {
  return page.getByTestId('message-list').evaluate((list) => {
    const box = list.getBoundingClientRect();
    return [...list.querySelectorAll<HTMLElement>('[data-seq]')]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.bottom > box.top && r.top < box.bottom;
      })
      .map((el) => Number(el.dataset.seq));
  });
}

describe.skipIf(!browserAvailable())('web app: long history', () => {
  let server: TestServer;
  let browser: Browser;
  let anna: TestUser;
  let ben: TestUser;
  let chatId: string;

  beforeAll(async () => {
    server = await startServer();
    anna = await createOwner(server, 'anna');
    ben = await createUser(server, anna, 'ben');
    chatId = (await anna.client.createConversation({ kind: 'direct', userId: ben.id })).conversation.id;
    await ben.client.connect();
    for (let i = 0; i < MESSAGES; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => ben.client.send(chatId, `Nachricht ${i + k + 1}`)));
    }
    // Anna has read it all: the chat opens at its newest message.
    await anna.client.connect();
    await anna.client.markRead(chatId, MESSAGES);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    anna?.client.close();
    ben?.client.close();
    await browser?.close();
    await server?.close();
  });

  it('W20: scrolling back loads older pages above the reader without moving what they read, down to the first message', async () => {
    const ctx = await signedInContext(browser, anna, { locale: 'en-GB', viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(`${server.url}/chats/${chatId}`);
    page.setDefaultTimeout(8_000);
    const list = page.getByTestId('message-list');
    await list.getByText(`Nachricht ${MESSAGES}`, { exact: true }).waitFor();
    expect(Math.max(...(await visibleSeqs(page)))).toBeGreaterThanOrEqual(MESSAGES);

    // Up a screen at a time. Whenever an older page lands, the messages on screen must stay.
    let pages = 0;
    for (let step = 0; step < 200; step++) {
      const before = await visibleSeqs(page);
      const height = await list.evaluate((el) => el.scrollHeight);
      await list.evaluate((el) => {
        el.scrollTop -= el.clientHeight;
      });
      await page.waitForTimeout(60);
      if ((await list.evaluate((el) => el.scrollHeight)) > height + 1000) {
        pages++;
        const after = await visibleSeqs(page);
        // One screen up from where we were: what we see now is just above what we saw before.
        expect(Math.max(...after)).toBeGreaterThan(Math.min(...before) - 40);
        expect(Math.min(...after)).toBeLessThanOrEqual(Math.min(...before));
      }
      if (
        (await page.getByText('This is the beginning of the chat.').count()) > 0 &&
        (await list.evaluate((el) => el.scrollTop)) === 0
      )
        break;
    }
    expect(pages).toBeGreaterThanOrEqual(1);
    await list.getByText('Nachricht 1', { exact: true }).waitFor();
    const seqs = await visibleSeqs(page);
    expect(Math.min(...seqs)).toBe(1);
    await ctx.close();
  });

  it('W21: sending costs no read receipt; my own messages are never under the unread divider; a reply from Ben is read', async () => {
    const readSeq = async () => {
      const detail = await anna.client.request<ConversationDetail>('GET', `/api/v1/conversations/${chatId}`);
      return detail.members.find((m) => m.userId === anna.id)?.readSeq;
    };
    expect(await readSeq()).toBe(MESSAGES);
    const ctx = await signedInContext(browser, anna, { locale: 'en-GB', viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    page.setDefaultTimeout(8_000);
    await page.goto(`${server.url}/chats/${chatId}`);
    const list = page.getByTestId('message-list');
    await list.getByText(`Nachricht ${MESSAGES}`, { exact: true }).waitFor();
    const box = page.getByRole('textbox', { name: 'Write a message' });
    for (const text of ['Eigene 1', 'Eigene 2', 'Eigene 3']) {
      await box.fill(text);
      await box.press('Enter');
    }
    // Acknowledged: each is a stored message with its seq, no longer pending.
    await page.locator('.message.mine[data-seq]', { hasText: 'Eigene 3' }).waitFor();
    expect(await page.locator('.message.pending').count()).toBe(0);
    // Past the list's 300 ms debounce, and past an ack's round trip: still no receipt.
    await page.waitForTimeout(1_000);
    expect(await readSeq()).toBe(MESSAGES);

    // Opened again, the chat has 3 messages after Anna's watermark, all hers: no divider, and it
    // opens at the bottom.
    await page.reload();
    await list.getByText('Eigene 3', { exact: true }).waitFor();
    await page.waitForTimeout(500);
    expect(await page.getByText('Unread messages').count()).toBe(0);
    expect(await readSeq()).toBe(MESSAGES);

    // Ben answers while the chat is open and in front: that is read, up to the end.
    const answer = await ben.client.send(chatId, 'Antwort von Ben');
    await list.getByText('Antwort von Ben', { exact: true }).waitFor();
    await expect.poll(readSeq, { timeout: 5_000 }).toBe(answer.seq);
    await ctx.close();
  });
});
