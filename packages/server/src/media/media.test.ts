import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { MediaRef, Message } from '@kurier/protocol';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, directChat, rawSocket, type TestUser, until } from '../../../../test/factories.js';
import { classicPdf, compressedPdf, noisePng, rotatedJpeg } from '../../../../test/files.js';
import { DIALECTS, dialectAvailable, startServer, type TestServer } from '../../../../test/harness.js';

const LIMIT = 2 * 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every file under the media dir, relative to it (temp files included). */
function mediaFiles(server: TestServer): string[] {
  const root = join(server.config.dataDir, 'media');
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

describe.each(DIALECTS)('media on %s', (dialect) => {
  let server: TestServer;
  let anna: TestUser;
  let ben: TestUser;
  let carl: TestUser;
  let chatId: string;

  // Bodies are read at once, so no response is still streaming when a test ends.
  const fetchAll = async (url: string, init?: RequestInit) => {
    const res = await fetch(url, init);
    const body = await res.arrayBuffer();
    return new Response(res.status === 304 ? null : body, { status: res.status, headers: res.headers });
  };
  const get = (path: string, user?: TestUser, headers: Record<string, string> = {}) =>
    fetchAll(`${server.url}${path}`, {
      headers: { ...headers, ...(user ? { authorization: `Bearer ${user.token}` } : {}) },
    });
  const post = (user: TestUser | null, body: BodyInit, headers: Record<string, string> = {}) =>
    fetchAll(`${server.url}/api/v1/media`, {
      method: 'POST',
      body,
      headers: { ...headers, ...(user ? { authorization: `Bearer ${user.token}` } : {}) },
    });
  const form = (
    bytes: Buffer | string,
    name: string,
    { type = 'application/octet-stream', field = 'file' }: { type?: string; field?: string } = {},
  ) => {
    const f = new FormData();
    f.append(field, new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)], { type }), name);
    return f;
  };
  const errorOf = async (res: Response) => ({ status: res.status, ...((await res.json()) as { error: object }).error });
  const rowCount = async () =>
    Number(
      (
        await server.kurier.database.db
          .selectFrom('media')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeEach(async (ctx) => {
    if (!dialectAvailable(dialect)) return ctx.skip();
    server = await startServer({ dialect, config: { maxUploadBytes: LIMIT } });
    ({ anna, ben, chatId } = await directChat(server));
    carl = await createUser(server, anna, 'carl');
  });

  afterEach(async () => {
    for (const user of [anna, ben, carl]) user?.client.close();
    await server?.close();
  });

  it('F1 F3: an image is stored by its hash with its dimensions and a smaller WebP thumbnail', async () => {
    const png = await noisePng(600, 400);
    const progress: [number, number][] = [];
    const ref = await anna.client.upload(png, 'Lageplan.png', { onProgress: (s, t) => progress.push([s, t]) });
    expect(ref).toMatchObject({
      name: 'Lageplan.png',
      mime: 'image/png',
      size: png.length,
      width: 600,
      height: 400,
      pageCount: null,
      hasThumbnail: true,
    });
    expect(ref.id).toMatch(/^f_/);
    expect(progress.at(-1)).toEqual([png.length, png.length]);
    const hash = sha256(png);
    expect(readFileSync(join(server.config.dataDir, 'media', hash.slice(0, 2), hash)).equals(png)).toBe(true);

    const thumb = await get(`/api/v1/media/${ref.id}/thumbnail`, anna);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const bytes = Buffer.from(await thumb.arrayBuffer());
    expect(bytes.length).toBeLessThan(png.length);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'webp', width: 480, height: 320 });

    // EXIF orientation is applied: a landscape JPEG marked "rotate 90°" is a portrait image.
    const jpeg = await anna.client.upload(await rotatedJpeg(300, 200), 'camera.jpg');
    expect(jpeg).toMatchObject({ mime: 'image/jpeg', width: 200, height: 300, hasThumbnail: true });
    const jpegThumb = Buffer.from(await (await get(`/api/v1/media/${jpeg.id}/thumbnail`, anna)).arrayBuffer());
    expect(await sharp(jpegThumb).metadata()).toMatchObject({ width: 200, height: 300 });
  });

  it('F3: a PDF gets its page count, also from compressed object streams and incremental updates', async () => {
    const cases: [Buffer, number | null][] = [
      [classicPdf(2), 2],
      [classicPdf(2, { addedPage: true }), 3],
      [compressedPdf(7), 7],
      [Buffer.from('%PDF-1.4\nnot really a PDF\n'), null],
    ];
    for (const [bytes, pages] of cases) {
      const ref = await anna.client.upload(bytes, 'Vertrag.pdf');
      expect(ref).toMatchObject({ mime: 'application/pdf', pageCount: pages, hasThumbnail: false });
    }
    const [first] = await server.kurier.database.db.selectFrom('media').select('id').orderBy('id').execute();
    const res = await get(`/api/v1/media/${first?.id}`, anna);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; /);
    await expect(anna.client.request('GET', `/api/v1/media/${first?.id}/thumbnail`)).rejects.toMatchObject({
      code: 'MEDIA_NOT_FOUND',
    });
  });

  it('F1: the same bytes uploaded twice are stored once', async () => {
    const png = await noisePng(100, 80);
    const a = await anna.client.upload(png, 'a.png');
    const b = await ben.client.upload(png, 'b.png');
    expect(a.id).not.toBe(b.id);
    expect(b).toMatchObject({ name: 'b.png', mime: 'image/png', width: 100, height: 80, hasThumbnail: true });
    // One blob for the bytes, one for their thumbnail, nothing left in tmp.
    expect(mediaFiles(server)).toHaveLength(2);
    const rows = await server.kurier.database.db.selectFrom('media').select(['sha256', 'thumbnail_key']).execute();
    expect(new Set(rows.map((r) => `${r.sha256}/${r.thumbnail_key}`)).size).toBe(1);
  });

  it('F2: the type is sniffed from the bytes, never taken from the client', async () => {
    const png = await noisePng(20, 20);
    const lie = await errorlessUpload(form(png, 'invoice.pdf', { type: 'text/html' }));
    expect(lie).toMatchObject({ mime: 'image/png', name: 'invoice.pdf', width: 20 });
    const res = await get(`/api/v1/media/${lie.id}`, anna);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);

    expect(await errorlessUpload(form(randomBytes(4096), 'data.bin'))).toMatchObject({
      mime: 'application/octet-stream',
    });
    expect(await errorlessUpload(form('Grüße aus Köln\n', 'notiz.txt', { type: 'image/png' }))).toMatchObject({
      mime: 'text/plain',
    });
    expect(await errorlessUpload(form('text\0with a NUL', 'nul.txt', { type: 'text/plain' }))).toMatchObject({
      mime: 'application/octet-stream',
    });
    // Paths and control characters never reach the stored name.
    expect(await errorlessUpload(form('x', '../../etc/pass\u202ewd\u0007'))).toMatchObject({ name: 'passwd' });
  });

  async function errorlessUpload(body: FormData): Promise<MediaRef> {
    const res = await post(anna, body);
    expect(res.status).toBe(201);
    return ((await res.json()) as { media: MediaRef }).media;
  }

  it('F8: active content is served as an attachment with nosniff; ranges and ETags work', async () => {
    const html = '<!doctype html><script>alert(document.cookie)</script>';
    const ref = await errorlessUpload(form(html, 'Angebot März "final".html', { type: 'text/html' }));
    expect(ref.mime).toBe('text/plain');
    const res = await get(`/api/v1/media/${ref.id}`, anna);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Angebot M_rz _final_.html"; filename*=UTF-8''Angebot%20M%C3%A4rz%20%22final%22.html`,
    );
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(res.headers.get('cache-control')).toMatch(/^private/);
    const etag = `"${sha256(Buffer.from(html))}"`;
    expect(res.headers.get('etag')).toBe(etag);
    expect(await res.text()).toBe(html);

    expect((await get(`/api/v1/media/${ref.id}`, anna, { 'if-none-match': etag })).status).toBe(304);
    const head = await get(`/api/v1/media/${ref.id}`, anna, { range: 'bytes=0-8' });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-range')).toBe(`bytes 0-8/${html.length}`);
    expect(await head.text()).toBe('<!doctype');
    const tail = await get(`/api/v1/media/${ref.id}`, anna, { range: 'bytes=-9' });
    expect(await tail.text()).toBe('</script>');
    const beyond = await get(`/api/v1/media/${ref.id}`, anna, { range: 'bytes=9999-' });
    expect(await errorOf(beyond)).toMatchObject({ status: 416, code: 'RANGE_NOT_SATISFIABLE' });
    expect(beyond.headers.get('content-range')).toBe(`bytes */${html.length}`);
  });

  it('F4: an upload over the limit gets FILE_TOO_LARGE and leaves no file and no row', async () => {
    const exact = await anna.client.upload(randomBytes(LIMIT), 'exact.bin');
    expect(exact.size).toBe(LIMIT);
    const before = mediaFiles(server);
    await expect(anna.client.upload(randomBytes(LIMIT + 1), 'big.bin')).rejects.toMatchObject({
      code: 'FILE_TOO_LARGE',
      status: 413,
    });
    // A declared length far over the limit is refused before the body is read.
    const declared = await new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
      const req = httpRequest(`${server.url}/api/v1/media`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${anna.token}`,
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(1024 * 1024 * 1024),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.write('--x\r\n');
    });
    expect(declared.status).toBe(413);
    // The rest of the body is not read: the connection closes after the answer.
    expect(declared.connection).toBe('close');
    expect(JSON.parse(declared.body)).toMatchObject({ error: { code: 'FILE_TOO_LARGE' } });
    expect(mediaFiles(server)).toEqual(before);
    expect(await rowCount()).toBe(1);
  });

  it('F4: an aborted or malformed upload leaves no temp file and no row', async () => {
    // Aborted mid-file: the client goes away after part of the body.
    const boundary = 'kurier-test-boundary';
    const req = httpRequest(`${server.url}/api/v1/media`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${anna.token}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(LIMIT),
      },
    });
    req.on('error', () => {});
    req.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    req.write(randomBytes(256 * 1024));
    await until(() => mediaFiles(server).some((f) => f.startsWith('tmp')), 'the upload to reach a temp file');
    req.destroy();
    await until(() => mediaFiles(server).length === 0, 'the temp file to be removed');

    // A body that ends inside the file part.
    const truncated = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.bin"\r\n\r\n${'x'.repeat(5000)}`;
    const cut = await post(anna, truncated, { 'content-type': `multipart/form-data; boundary=${boundary}` });
    expect(await errorOf(cut)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    // No file part, a file in another field, not multipart at all, no session.
    const fieldOnly = new FormData();
    fieldOnly.append('caption', 'hello');
    expect(await errorOf(await post(anna, fieldOnly))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await errorOf(await post(anna, form('abc', 'a.txt', { field: 'upload' })))).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const json = await post(anna, JSON.stringify({ file: 'x' }), { 'content-type': 'application/json' });
    expect(await errorOf(json)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await errorOf(await post(null, form('abc', 'a.txt')))).toMatchObject({ status: 401 });

    // A refused part may still be draining into its temp file when the answer leaves; it goes soon.
    await until(() => mediaFiles(server).length === 0, 'every temp file to be removed');
    expect(await rowCount()).toBe(0);
  });

  it('M3 F5: files and texts sent together by one connection are sequenced in the order they were sent', async () => {
    const photo = await anna.client.upload(await noisePng(8, 8), 'foto.png');
    const socket = await rawSocket(server, anna.token);
    const frame = { type: 'send', conversationId: chatId };
    // An outbox flushed after a reconnect sends like this: all at once, so one batch takes them.
    const sends = [
      { ...frame, id: 'p1', clientMsgId: 'o-1', mediaId: photo.id },
      { ...frame, id: 't1', clientMsgId: 'o-2', text: 'Schau mal' },
      { ...frame, id: 'p2', clientMsgId: 'o-3', mediaId: photo.id, text: 'noch eins' },
      { ...frame, id: 't2', clientMsgId: 'o-4', text: 'Gefällt es dir?' },
    ];
    for (const s of sends) socket.send(s);
    const acks = new Map<unknown, number>();
    while (acks.size < sends.length) {
      const f = await socket.next('ack');
      acks.set(f.id, (f.message as Message).seq);
    }
    expect(sends.map((s) => acks.get(s.id))).toEqual([1, 2, 3, 4]);
    socket.ws.close();
  });

  it('F5: a file message carries its media in the ack, the live change, history and sync', async () => {
    const live: Message[] = [];
    ben.client.on('message', (m, { isNew }) => isNew && live.push(m));
    const ref = await anna.client.upload(classicPdf(3), 'Angebot.pdf');
    const sent = await anna.client.send(chatId, 'Das Angebot', { mediaId: ref.id });
    expect(sent).toMatchObject({ type: 'file', text: 'Das Angebot', media: ref });
    await until(() => live.length === 1, 'the file message to reach ben');
    expect(live[0]).toMatchObject({ id: sent.id, media: ref });
    expect((await ben.client.history(chatId)).messages[0]).toMatchObject({ id: sent.id, media: ref });
    const socket = await rawSocket(server, ben.token);
    socket.send({ type: 'sync', id: 's1', cursor: 0 });
    // Ben's own delivered receipt may arrive live first; the catch-up page is the one not live.
    let page = await socket.next('changes');
    while (page.live !== false) page = await socket.next('changes');
    const synced = (page.changes as { message?: Message }[]).find((c) => c.message?.id === sent.id);
    expect(synced?.message?.media).toEqual(ref);
    socket.ws.close();

    // Without a caption; the same file in a second message; retries stay idempotent.
    const bare = await anna.client.send(chatId, '', { mediaId: ref.id, clientMsgId: 'file-1' });
    expect(bare).toMatchObject({ type: 'file', text: null, media: ref, seq: 2 });
    expect((await anna.client.send(chatId, '', { mediaId: ref.id, clientMsgId: 'file-1' })).id).toBe(bare.id);
    const other = await anna.client.upload(classicPdf(1), 'Anhang.pdf');
    await expect(anna.client.send(chatId, '', { mediaId: other.id, clientMsgId: 'file-1' })).rejects.toMatchObject({
      code: 'CLIENT_MSG_ID_REUSED',
    });
    // Reactions and caption edits keep the file on the message.
    expect((await ben.client.react(sent.id, '👍')).media).toEqual(ref);
    expect(await anna.client.edit(sent.id, 'Das neue Angebot')).toMatchObject({ text: 'Das neue Angebot', media: ref });
    expect((await anna.client.delete(sent.id)).media).toBeNull();
  });

  it('F5 M8: the REST send attaches files too', async () => {
    const ref = await anna.client.upload(await noisePng(30, 30), 'foto.png');
    const body = { clientMsgId: 'rest-file', mediaId: ref.id };
    const path = `/api/v1/conversations/${chatId}/messages`;
    const a = await anna.client.request<{ message: Message }>('POST', path, body);
    expect(a.message).toMatchObject({ type: 'file', text: null, media: ref });
    expect((await anna.client.request<{ message: Message }>('POST', path, body)).message.id).toBe(a.message.id);
    await expect(anna.client.request('POST', path, { clientMsgId: 'empty' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it("F5: someone else's or an unknown media id is refused and nothing is stored", async () => {
    const bens = await ben.client.upload(await noisePng(10, 10), 'ben.png');
    await expect(anna.client.send(chatId, 'meins?', { mediaId: bens.id })).rejects.toMatchObject({
      code: 'MEDIA_NOT_FOUND',
    });
    await expect(
      anna.client.request('POST', `/api/v1/conversations/${chatId}/messages`, { clientMsgId: 'x', mediaId: 'f_nope' }),
    ).rejects.toMatchObject({ code: 'MEDIA_NOT_FOUND', status: 404 });
    // In one group-commit batch a refused file fails alone; its neighbours are stored.
    const annas = await anna.client.upload(await noisePng(10, 10), 'anna.png');
    const socket = await rawSocket(server, anna.token);
    const frame = { type: 'send', conversationId: chatId };
    socket.send({ ...frame, id: 'a', clientMsgId: 'b-1', text: 'vorher' });
    socket.send({ ...frame, id: 'b', clientMsgId: 'b-2', mediaId: bens.id });
    socket.send({ ...frame, id: 'c', clientMsgId: 'b-3', mediaId: annas.id });
    const answers: Record<string, unknown>[] = [];
    while (answers.length < 3) {
      const f = await socket.next();
      if (f.type === 'ack' || f.type === 'error') answers.push(f);
    }
    const byId = new Map(answers.map((f) => [f.id, f]));
    expect(byId.get('a')).toMatchObject({ type: 'ack', message: { seq: 1 } });
    expect(byId.get('b')).toMatchObject({ type: 'error', code: 'MEDIA_NOT_FOUND' });
    expect(byId.get('c')).toMatchObject({ type: 'ack', message: { seq: 2, media: annas } });
    socket.ws.close();
    const rows = await server.kurier.database.db.selectFrom('messages').select(['media_id']).execute();
    expect(rows.map((r) => r.media_id)).toEqual([null, annas.id]);
  });

  it('F6: only the uploader and members of a conversation where it was sent may download', async () => {
    const png = await noisePng(40, 40);
    const ref = await anna.client.upload(png, 'privat.png');
    expect((await get(`/api/v1/media/${ref.id}`, anna)).status).toBe(200);
    expect(await errorOf(await get(`/api/v1/media/${ref.id}`, ben))).toMatchObject({
      status: 404,
      code: 'MEDIA_NOT_FOUND',
    });
    const sent = await anna.client.send(chatId, 'Foto', { mediaId: ref.id });
    const res = await get(`/api/v1/media/${ref.id}`, ben);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    for (const path of [
      `/api/v1/media/${ref.id}`,
      `/api/v1/media/${ref.id}/thumbnail`,
      `/api/v1/media/${ref.id}/url`,
    ]) {
      expect(await errorOf(await get(path, carl))).toMatchObject({ status: 404, code: 'MEDIA_NOT_FOUND' });
    }
    expect(await errorOf(await get(`/api/v1/media/${ref.id}`))).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    // Deleting the message for everyone takes the file away from the conversation.
    await anna.client.delete(sent.id);
    expect((await get(`/api/v1/media/${ref.id}`, ben)).status).toBe(404);
    expect((await get(`/api/v1/media/${ref.id}`, anna)).status).toBe(200);
  });

  it('F7: signed links work without a session; expired or tampered ones are refused', async () => {
    const png = await noisePng(500, 100);
    const ref = await anna.client.upload(png, 'plan.png');
    await anna.client.send(chatId, '', { mediaId: ref.id });
    const urls = await ben.client.request<{ url: string; thumbnailUrl: string; expiresAt: number }>(
      'GET',
      `/api/v1/media/${ref.id}/url`,
    );
    expect(urls.expiresAt).toBeGreaterThanOrEqual(Date.now() + 60 * 60 * 1000 - 1000);
    const original = await fetchAll(await ben.client.mediaUrl(ref));
    expect(original.status).toBe(200);
    expect(Buffer.from(await original.arrayBuffer()).equals(png)).toBe(true);
    const thumb = await fetchAll(await ben.client.mediaUrl(ref, 'thumbnail'));
    expect(thumb.headers.get('content-type')).toBe('image/webp');

    const other = await anna.client.upload(await noisePng(10, 10), 'other.png');
    const sig = new URL(urls.url, server.url).searchParams.get('sig') ?? '';
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    const refused = [
      urls.url.replace(sig, flipped),
      urls.url.replace(ref.id, other.id),
      urls.url.replace(`/${ref.id}?`, `/${ref.id}/thumbnail?`),
      urls.url.replace(/&sig=.*/, ''),
    ];
    const secret = await server.kurier.database.db
      .selectFrom('secrets')
      .select('value')
      .where('name', '=', 'media-links')
      .executeTakeFirstOrThrow();
    const exp = Date.now() - 1000;
    const oldSig = createHmac('sha256', Buffer.from(secret.value, 'base64url'))
      .update(`${ref.id}\noriginal\n${exp}`)
      .digest('base64url');
    refused.push(`/api/v1/media/${ref.id}?exp=${exp}&sig=${oldSig}`);
    for (const path of refused) {
      expect(await errorOf(await get(path)), path).toMatchObject({ status: 403, code: 'MEDIA_LINK_INVALID' });
    }
  });
});
