// A Kurier server in its own process, so the bench can measure its CPU and RSS apart from the
// load generator. Provisioning goes through the real services (the API for staff creation).
import { buildApp, loadConfig } from '@kurier/server';
import type { ChildMessage, Provisioned, ProvisionRequest } from './protocol.js';

// The bench process owns the data directory, so a restarted server finds what was provisioned.
const dataDir = process.env.KURIER_DATA_DIR;
if (!dataDir) throw new Error('KURIER_DATA_DIR is required');
const config = { ...loadConfig({ KURIER_DATA_DIR: dataDir }), logLevel: 'silent', wsFramesPerSecond: 1_000_000 };
const kurier = await buildApp(config);
await kurier.app.listen({ port: 0, host: '127.0.0.1' });
const address = kurier.app.server.address();
const send = (m: ChildMessage) => process.send?.(m);
send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });

let userCounter = 0;

/**
 * Bench users share one password hash: the first comes through the accounts service, the rest
 * are copies of its row. Hashing 400 passwords with scrypt took ~10 s of both cores per scenario,
 * most of a quick run; nothing measured logs in (sessions are issued directly).
 */
async function createUsers(count: number): Promise<string[]> {
  const { db } = kurier.database;
  const hashOf = (username: string) =>
    db.selectFrom('users').select('password_hash').where('username', '=', username).executeTakeFirst();
  if (!(await hashOf('bench-template'))) {
    const password = 'bench password 123';
    await kurier.accounts.createUser({ username: 'bench-template', displayName: 'Bench', password, role: 'member' });
  }
  const hash = ((await hashOf('bench-template')) as { password_hash: string }).password_hash;
  const rows = Array.from({ length: count }, () => {
    const n = userCounter++;
    return {
      id: `u_bench${n}`,
      username: `bench${n}`,
      display_name: `Bench ${n}`,
      role: 'member',
      password_hash: hash,
      created_at: Date.now(),
      last_seen_at: null,
      disabled_at: null,
    };
  });
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('users')
      .values(rows.slice(i, i + 500))
      .execute();
  return rows.map((r) => r.id);
}

async function provision(req: ProvisionRequest): Promise<Provisioned> {
  const userIds = await createUsers(req.users);
  const tokens: string[][] = [];
  for (const id of userIds) {
    const devices: string[] = [];
    for (let d = 0; d < req.devicesPerUser; d++)
      devices.push((await kurier.accounts.issueSession(id, `bench ${d}`)).token);
    tokens.push(devices);
  }
  const conversationIds: string[] = [];
  for (const c of req.conversations) {
    const [first, ...rest] = c.members.map((i) => userIds[i] as string);
    const actor = await kurier.accounts.authenticate(tokens[c.members[0] as number]?.[0] as string);
    const detail =
      rest.length === 1 && c.members.length === 2
        ? await kurier.conversations.create(actor, { kind: 'direct', userId: rest[0] as string })
        : await kurier.conversations.create(actor, { kind: 'group', name: `Bench ${first}`, memberIds: rest });
    conversationIds.push(detail.conversation.id);
  }
  return { tokens, conversationIds };
}

process.on('message', (m: { type: 'provision'; request: ProvisionRequest } | { type: 'gc' }) => {
  if (m.type === 'gc') {
    globalThis.gc?.();
    const { heapUsed, heapTotal } = process.memoryUsage();
    send({ type: 'gc-done', heapUsed, heapTotal });
    return;
  }
  provision(m.request).then(
    (result) => send({ type: 'provisioned', result }),
    (err: unknown) => send({ type: 'failed', error: String(err) }),
  );
});
process.on('disconnect', () => {
  void kurier.close().finally(() => process.exit(0));
});
