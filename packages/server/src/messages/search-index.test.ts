import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type KurierApp } from '@kurier/server';
import SQLite from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { testConfig } from '../../../../test/harness.js';
import { openDatabase } from '../db/index.js';
import { searchIndexer, startSearchWorker } from './search-index.js';

// SQLite only: PostgreSQL's GIN index follows every insert, there is nothing to index apart.
describe('the search index on SQLite', () => {
  const config = testConfig();
  const main = join(config.dataDir, 'kurier.db');
  let kurier: KurierApp | null = null;

  afterEach(async () => {
    await kurier?.close();
    kurier = null;
  });

  afterAll(() => rmSync(config.dataDir, { recursive: true, force: true }));

  /** A server on the suite's data directory, one actor and a group to write in. */
  async function start() {
    kurier = await buildApp(config);
    const { accounts, conversations } = kurier;
    const existing = await kurier.database.db.selectFrom('users').select('id').where('username', '=', 'anna').execute();
    const userId =
      existing[0]?.id ??
      (await accounts.createUser({ username: 'anna', displayName: 'Anna', password: 'a long password', role: 'owner' }))
        .id;
    const actor = await accounts.authenticate((await accounts.issueSession(userId, 'test')).token);
    const group = await conversations.create(actor, { kind: 'group', name: 'Suche', memberIds: [] });
    const app = kurier;
    return {
      actor,
      send: (text: string) =>
        app.messages.send(actor, { conversationId: group.conversation.id, clientMsgId: randomUUID(), text }),
      search: async (query: string) => {
        const ids = (await app.database.db.selectFrom('conversations').select('id').execute()).map((c) => c.id);
        return (await app.messages.search({ query, conversationIds: ids, limit: 50 })).messages.map((m) => m.text);
      },
    };
  }

  it('M9: indexing never takes the main database’s write lock: a search finds new messages while another connection holds it', async () => {
    const { send, search } = await start();
    await send('Rechnung für März');
    const other = new SQLite(main);
    try {
      // Nothing else can write the main database now; the indexer only writes its own file.
      other.exec('begin immediate');
      const found = await Promise.race([
        search('rechnung'),
        new Promise<string[]>((_, reject) => setTimeout(() => reject(new Error('search waited for the lock')), 3000)),
      ]);
      expect(found).toEqual(['Rechnung für März']);
    } finally {
      other.exec('rollback');
      other.close();
    }
  });

  it('M10: the index is rebuilt when its file is gone or the database was restored from an older backup', async () => {
    const first = await start();
    await first.send('Alpha kommt zuerst');
    expect(await first.search('alpha')).toEqual(['Alpha kommt zuerst']);
    const backup = join(config.dataDir, 'backup.db');
    await kurier?.database.sqlite?.backup(backup);
    await first.send('Bravo geht verloren');
    expect(await first.search('bravo')).toEqual(['Bravo geht verloren']);
    await kurier?.close();

    // Restored: Bravo's message is gone, and the next message gets its key.
    for (const suffix of ['', '-wal', '-shm']) rmSync(main + suffix, { force: true });
    copyFileSync(backup, main);
    const restored = await start();
    await restored.send('Charlie kommt danach');
    expect(await restored.search('bravo')).toEqual([]);
    expect(await restored.search('charlie')).toEqual(['Charlie kommt danach']);
    expect(await restored.search('alpha')).toEqual(['Alpha kommt zuerst']);
    await kurier?.close();

    // The search file deleted: every message is found again.
    const searchFile = join(config.dataDir, 'kurier-search.db');
    for (const suffix of ['', '-wal', '-shm']) rmSync(searchFile + suffix, { force: true });
    const again = await start();
    expect(await again.search('kommt')).toEqual(expect.arrayContaining(['Alpha kommt zuerst', 'Charlie kommt danach']));
    await kurier?.close();

    // The search file damaged (not a database at all): the server starts and rebuilds it.
    for (const suffix of ['-wal', '-shm']) rmSync(searchFile + suffix, { force: true });
    writeFileSync(searchFile, 'this is not a database '.repeat(500));
    const repaired = await start();
    expect(await repaired.search('alpha')).toEqual(['Alpha kommt zuerst']);
  });

  it('M11: a server that starts listening indexes what was committed before it started, without a search or a new message', async () => {
    const first = await start();
    for (const text of ['Lieferung eins', 'Lieferung zwei', 'Lieferung drei']) await first.send(text);
    await kurier?.close();
    // A backlog as a crash before the index caught up leaves it: here, no index at all.
    const searchFile = join(config.dataDir, 'kurier-search.db');
    for (const suffix of ['', '-wal', '-shm']) rmSync(searchFile + suffix, { force: true });

    kurier = await buildApp(config);
    const backlog = (kurier as KurierApp).messages.searchBacklog;
    // Built but not listening, as `kurier owner create` runs it: nothing is indexed.
    expect(await backlog()).toBeGreaterThanOrEqual(3);
    await kurier.app.listen({ port: 0, host: '127.0.0.1' });
    await vi.waitFor(async () => expect(await backlog()).toBe(0), { timeout: 10_000, interval: 50 });
  });

  it('M9: an indexer thread that cannot start is started again at the next catch-up, not left broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kurier-m9-'));
    const files = { main: join(dir, 'later', 'kurier.db'), search: join(dir, 'later', 'kurier-search.db') };
    const worker = startSearchWorker(files);
    try {
      // The database does not exist yet: the thread fails while it opens it.
      await expect(worker.catchUp()).rejects.toThrow();
      const database = await openDatabase({ sqlitePath: files.main });
      try {
        await expect(worker.catchUp()).resolves.toBeUndefined();
      } finally {
        await database.close();
      }
    } finally {
      await worker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('M7: the index keeps an edited message’s newest text, and the text changes it has applied are pruned', async () => {
    const { actor, send, search } = await start();
    const app = kurier as KurierApp;
    const sent = await send('Entwurf eins');
    expect(await search('entwurf')).toEqual(['Entwurf eins']);
    await app.messages.edit(actor, sent.id, 'Fassung zwei');
    const queued = () =>
      app.database.db
        .selectFrom('search_edits' as never)
        .selectAll()
        .execute();
    expect(await queued()).toHaveLength(1);
    expect(await search('fassung')).toEqual(['Fassung zwei']);
    expect(await app.messages.pruneSearchEdits()).toBe(1);
    expect(await queued()).toHaveLength(0);
    expect(await search('entwurf')).toEqual([]);
    expect(await search('fassung')).toEqual(['Fassung zwei']);
  });
});

describe('the background indexer’s ticks', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('M9: a tick during catch-ups waits for a later one, at most four in a row', async () => {
    vi.useFakeTimers();
    let runs = 0;
    let busy = false;
    const indexer = searchIndexer({
      catchUp: async () => {
        runs++;
      },
      intervalMs: 250,
      busy: () => busy,
      onError: (err) => {
        throw err;
      },
    });
    indexer.touch();
    await vi.advanceTimersByTimeAsync(250);
    expect(runs).toBe(1);
    // Catch-ups under way: the commits wait, but not for ever.
    busy = true;
    indexer.touch();
    await vi.advanceTimersByTimeAsync(4 * 250);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(250);
    expect(runs).toBe(2);
    indexer.touch();
    await vi.advanceTimersByTimeAsync(250);
    expect(runs).toBe(2);
    // Over: the next tick indexes.
    busy = false;
    await vi.advanceTimersByTimeAsync(250);
    expect(runs).toBe(3);
    await indexer.stop();
  });

  it('M11: the catch-up at start reports a failure, but not the refusal of a stop that came meanwhile', async () => {
    const errors: unknown[] = [];
    let refuse: (err: Error) => void = () => {};
    const indexer = searchIndexer({
      catchUp: () =>
        new Promise<void>((_, reject) => {
          refuse = reject;
        }),
      close: async () => refuse(new Error('the search indexer has stopped')),
      intervalMs: 250,
      onError: (err) => errors.push(err),
    });
    indexer.start();
    await Promise.resolve();
    refuse(new Error('disk I/O error'));
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(String(errors[0])).toContain('disk I/O error');

    // Stopped while the catch-up at start runs: the shutdown is no indexing failure.
    indexer.start();
    await Promise.resolve();
    await indexer.stop();
    expect(errors).toHaveLength(1);
  });
});
