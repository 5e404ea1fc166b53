import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOwner, createUser, newClient, PASSWORD, rawSocket } from '../../../../test/factories.js';
import { startServer, type TestServer } from '../../../../test/harness.js';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  await server.close();
});

async function post(path: string, body: unknown, token?: string) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as Record<string, any>) };
}

describe('setup', () => {
  it('creates the owner once, only with the one-time token', async () => {
    expect((await fetch(`${server.url}/api/v1/setup`).then((r) => r.json())) as unknown).toEqual({ needed: true });
    const link = (await server.kurier.accounts.setupLink()) as string;
    const token = new URL(link).searchParams.get('token');
    const bad = await post('/api/v1/setup', {
      token: 'x'.repeat(43),
      username: 'boss',
      displayName: 'Boss',
      password: PASSWORD,
    });
    expect(bad).toMatchObject({ status: 403, body: { error: { code: 'SETUP_TOKEN_INVALID' } } });
    const ok = await post('/api/v1/setup', { token, username: 'boss', displayName: 'Boss', password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body?.user).toMatchObject({ username: 'boss', role: 'owner' });
    const again = await post('/api/v1/setup', { token, username: 'boss2', displayName: 'Boss', password: PASSWORD });
    expect(again.body?.error.code).toBe('SETUP_DONE');
    expect(await server.kurier.accounts.setupLink()).toBeNull();
  });

  it('stores a scrypt hash, never the password, and only hashes of session tokens', async () => {
    const owner = await createOwner(server);
    const { db } = server.kurier.database;
    const user = await db.selectFrom('users').selectAll().where('id', '=', owner.id).executeTakeFirstOrThrow();
    expect(user.password_hash).toMatch(/^scrypt\$/);
    expect(user.password_hash).not.toContain(PASSWORD);
    const sessions = await db.selectFrom('sessions').select('token_hash').execute();
    expect(sessions.map((s) => s.token_hash)).not.toContain(owner.token);
  });
});

describe('login and sessions', () => {
  it('logs in with the right password and refuses a wrong one without saying which part was wrong', async () => {
    const owner = await createOwner(server);
    const wrong = await post('/api/v1/login', { username: owner.username, password: 'wrong password!' });
    const unknown = await post('/api/v1/login', { username: 'nobody', password: 'wrong password!' });
    expect(wrong.body?.error).toEqual(unknown.body?.error);
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'INVALID_CREDENTIALS' } } });
    const ok = await post('/api/v1/login', { username: owner.username, password: PASSWORD, deviceName: 'Laptop' });
    expect(ok.status).toBe(200);
    expect(typeof ok.body?.token).toBe('string');
  });

  it('rejects malformed and wrongly typed bodies with typed errors', async () => {
    expect((await post('/api/v1/login', '{"username":')).body?.error.code).toBe('MALFORMED_JSON');
    const typed = await post('/api/v1/login', { username: 42, password: ['x'] });
    expect(typed).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    const huge = await post('/api/v1/login', { username: 'a', password: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });

  it('rate-limits login attempts per client address', async () => {
    const limited = await startServer({ config: { loginRatePerMinute: 3 } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${limited.url}/api/v1/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'victim', password: `guess number ${i}` }),
        });
        codes.push(res.status);
        if (res.status === 429) expect(((await res.json()) as any).error.code).toBe('RATE_LIMITED');
      }
      expect(codes).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await limited.close();
    }
  });

  it('limits failed logins per username even across client addresses', async () => {
    const limited = await startServer({ config: { loginRatePerMinute: 3, trustProxy: true } });
    try {
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${limited.url}/api/v1/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i + 1}` },
          body: JSON.stringify({ username: 'victim', password: `guess number ${i}` }),
        });
        codes.push(((await res.json()) as any).error.code);
      }
      expect(codes).toEqual([
        'INVALID_CREDENTIALS',
        'INVALID_CREDENTIALS',
        'INVALID_CREDENTIALS',
        'RATE_LIMITED',
        'RATE_LIMITED',
      ]);
    } finally {
      await limited.close();
    }
  });

  it('lists sessions per device, revokes one, and logs out everywhere', async () => {
    const owner = await createOwner(server);
    const laptop = newClient(server);
    await laptop.login(owner.username, PASSWORD, 'Laptop');
    const sessions = await owner.client.sessions();
    expect(sessions.map((s) => s.deviceName).sort()).toEqual(['Laptop', 'Unknown device']);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);

    const target = sessions.find((s) => s.deviceName === 'Laptop');
    await owner.client.request('DELETE', `/api/v1/sessions/${target?.id}`);
    await expect(laptop.me()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    await expect(owner.client.request('DELETE', '/api/v1/sessions/s_unknown')).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });

    await owner.client.request('POST', '/api/v1/logout-all');
    await expect(owner.client.me()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
  });

  it('closes the live connection of a revoked session', async () => {
    const owner = await createOwner(server);
    const other = newClient(server);
    const { token } = await other.login(owner.username, PASSWORD, 'Phone');
    const socket = await rawSocket(server, token);
    const sessions = await owner.client.sessions();
    await owner.client.request('DELETE', `/api/v1/sessions/${sessions.find((s) => s.deviceName === 'Phone')?.id}`);
    const error = await socket.next('error');
    expect(error.code).toBe('SESSION_EXPIRED');
    expect((await socket.closed).code).toBe(4401);
  });

  it('expires sessions after their lifetime', async () => {
    const short = await startServer({ config: { sessionTtlMs: 50 } });
    try {
      const owner = await createOwner(short);
      await new Promise((r) => setTimeout(r, 80));
      await expect(owner.client.me()).rejects.toMatchObject({ code: 'SESSION_EXPIRED', status: 401 });
    } finally {
      await short.close();
    }
  });

  it('E7: closes a live connection when its session expires', async () => {
    const short = await startServer({ config: { sessionTtlMs: 600 } });
    try {
      const owner = await createOwner(short);
      const socket = await rawSocket(short, owner.token);
      expect(await socket.next('error', 3000)).toMatchObject({ code: 'SESSION_EXPIRED' });
      expect((await socket.closed).code).toBe(4401);
    } finally {
      await short.close();
    }
  });

  it('changes the password and logs out the other devices', async () => {
    const owner = await createOwner(server);
    const phone = newClient(server);
    await phone.login(owner.username, PASSWORD);
    await expect(
      owner.client.request('POST', '/api/v1/me/password', {
        currentPassword: 'not it at all',
        newPassword: 'another long password',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await owner.client.request('POST', '/api/v1/me/password', {
      currentPassword: PASSWORD,
      newPassword: 'another long password',
    });
    await expect(phone.me()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    expect((await owner.client.me()).username).toBe(owner.username);
    const fresh = newClient(server);
    await expect(fresh.login(owner.username, PASSWORD)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await fresh.login(owner.username, 'another long password');
  });

  it('updates the display name', async () => {
    const owner = await createOwner(server);
    const { user } = await owner.client.request<{ user: { displayName: string } }>('PATCH', '/api/v1/me', {
      displayName: 'Chefin',
    });
    expect(user.displayName).toBe('Chefin');
    await expect(owner.client.request('PATCH', '/api/v1/me', { displayName: '' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('invites', () => {
  it('lets admins invite, members not; an invite works once', async () => {
    const owner = await createOwner(server);
    const invite = await owner.client.request<{ token: string; url: string }>('POST', '/api/v1/invites', {
      role: 'admin',
    });
    expect(invite.url).toContain(invite.token);
    const anna = newClient(server);
    const res = await anna.acceptInvite({
      token: invite.token,
      username: 'anna',
      displayName: 'Anna',
      password: PASSWORD,
    });
    expect(res.user.role).toBe('admin');
    const reuse = newClient(server);
    await expect(
      reuse.acceptInvite({ token: invite.token, username: 'ben', displayName: 'Ben', password: PASSWORD }),
    ).rejects.toMatchObject({
      code: 'INVITE_INVALID',
    });
    const member = await createUser(server, owner, 'carl');
    await expect(member.client.request('POST', '/api/v1/invites', {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const taken = await owner.client.request<{ token: string }>('POST', '/api/v1/invites', {});
    await expect(
      newClient(server).acceptInvite({ token: taken.token, username: 'carl', displayName: 'C', password: PASSWORD }),
    ).rejects.toMatchObject({
      code: 'USERNAME_TAKEN',
    });
    const users = await owner.client.users();
    expect(users.map((u) => u.username).sort()).toEqual(['anna', 'carl', 'owner']);
  });
});
