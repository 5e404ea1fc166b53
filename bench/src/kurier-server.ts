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

async function provision(req: ProvisionRequest): Promise<Provisioned> {
  const userIds: string[] = [];
  // scrypt runs on the libuv pool: creating users in parallel uses both cores.
  for (let i = 0; i < req.users; i += 32) {
    const batch = Array.from({ length: Math.min(32, req.users - i) }, () => {
      const n = userCounter++;
      return kurier.accounts.createUser({
        username: `bench${n}`,
        displayName: `Bench ${n}`,
        password: 'bench password 123',
        role: 'member',
      });
    });
    for (const u of await Promise.all(batch)) userIds.push(u.id);
  }
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
