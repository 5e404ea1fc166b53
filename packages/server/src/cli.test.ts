import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { newClient, PASSWORD } from '../../../test/factories.js';
import { startServer, type TestServer } from '../../../test/harness.js';
import { BIN, kurierCommand } from '../../../test/server-process.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kurier-cli-'));
  dirs.push(dir);
  return dir;
}

const kurier = kurierCommand;

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the kurier command', () => {
  it('O3: owner create works without a browser, once', async () => {
    const dir = tempDir();
    const out = kurier(
      ['owner', 'create', '--username', 'anna', '--display-name', 'Anna Admin'],
      { KURIER_DATA_DIR: dir },
      `${PASSWORD}\n`,
    );
    expect(out).toMatch(/owner anna created/);
    expect(() =>
      kurier(['owner', 'create', '--username', 'ben'], { KURIER_DATA_DIR: dir, KURIER_OWNER_PASSWORD: PASSWORD }),
    ).toThrow(/already has an owner/);
    expect(() =>
      kurier(['owner', 'create', '--username', 'x'], { KURIER_DATA_DIR: tempDir(), KURIER_OWNER_PASSWORD: 'short' }),
    ).toThrow(/10 characters/);
    const db = new SQLite(join(dir, 'kurier.db'), { readonly: true });
    expect(db.prepare('select username, role from users').all()).toEqual([{ username: 'anna', role: 'owner' }]);
    db.close();
  });

  it('O4: npm start prints the setup link, serves /healthz, and a SIGTERM shuts down cleanly', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, PORT: '0', KURIER_DATA_DIR: dir, KURIER_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d) => {
      out += String(d);
    });
    const deadline = Date.now() + 20_000;
    while (!/setup\?token=/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const link = /(http:\/\/\S+\/setup\?token=\S+)/.exec(out)?.[1];
    expect(link).toBeDefined();
    const base = new URL(link as string).origin;
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ status: 'ok' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('O5: backup writes a consistent copy of a live database', async () => {
    const server = await startServer();
    try {
      const setup = (await server.kurier.accounts.setupLink()) as string;
      const client = newClient(server);
      await client.setup({
        token: new URL(setup).searchParams.get('token') ?? '',
        username: 'anna',
        displayName: 'Anna',
        password: PASSWORD,
      });
      const { conversation } = await client.createConversation({ kind: 'group', name: 'Backup', memberIds: [] });
      await client.connect();
      for (let i = 0; i < 20; i++) await client.send(conversation.id, `before backup ${i}`);
      const target = join(tempDir(), 'backup.db');
      const out = kurier(['backup', target], { KURIER_DATA_DIR: server.config.dataDir });
      expect(out).toMatch(/backup written/);
      expect(statSync(target).size).toBeGreaterThan(0);
      const copy = new SQLite(target, { readonly: true });
      const row = copy.prepare("select count(*) as n from messages where type = 'text'").get() as { n: number };
      expect(row.n).toBe(20);
      copy.close();
      client.close();
    } finally {
      await server.close();
    }
  });

  it('O6: HTTPS is served when a certificate and key are configured', async () => {
    const dir = tempDir();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const server: TestServer = await startServer({ config: { tls: { cert, key } } });
    try {
      expect(server.url).toMatch(/^https:/);
      const { status, body, hsts } = await new Promise<{ status: number; body: string; hsts: string | undefined }>(
        (resolve, reject) => {
          request(`${server.url}/healthz`, { rejectUnauthorized: false }, (res) => {
            let body = '';
            res.on('data', (d) => {
              body += String(d);
            });
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                body,
                hsts: res.headers['strict-transport-security'] as string | undefined,
              }),
            );
          })
            .on('error', reject)
            .end();
        },
      );
      expect(status).toBe(200);
      expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
      expect(hsts).toMatch(/max-age=/);
    } finally {
      await server.close();
    }
  });

  it('O8: a bad configuration stops the start with a message naming the variable', () => {
    expect(() => kurier(['serve'], { PORT: 'eighty', KURIER_DATA_DIR: tempDir() })).toThrow(/PORT/);
  });
});
