import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOwner, createUser, newClient } from '../test/factories.js';
import { startServer, type TestServer } from '../test/harness.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
// Inside the repo so the example's imports resolve to the workspace packages.
const SCRIPT = join(import.meta.dirname, `.readme-example-${process.pid}.ts`);

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  rmSync(SCRIPT, { force: true });
  await server.close();
});

it('the SDK README example runs as written against a real server', async () => {
  const owner = await createOwner(server, 'admin');
  const anna = await createUser(server, owner, 'anna');
  await createUser(server, owner, 'ben');
  // The example logs in with this password; set it through the real API.
  await anna.client.request('POST', '/api/v1/me/password', {
    currentPassword: 'correct horse battery staple',
    newPassword: 'a long passphrase',
  });

  const readme = readFileSync(join(ROOT, 'packages', 'sdk', 'README.md'), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  writeFileSync(SCRIPT, (code as string).replace('http://localhost:3000', server.url));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', SCRIPT], { cwd: ROOT, timeout: 20_000 });
  expect(stdout).toMatch(/stored as m_\S+ seq 1/);
  expect(stdout).toMatch(/connection: open/);

  const check = newClient(server);
  await check.login('ben', 'correct horse battery staple');
  const [chat] = await check.conversations();
  const page = await check.history(chat?.conversation.id ?? '');
  expect(page.messages.map((m) => m.text)).toEqual([
    'Hallo Ben, das Angebot ist raus.',
    'Still here after a reconnect.',
    'Der Lieferschein',
  ]);
  // The README's upload example sends a file with that caption.
  expect(page.messages.at(-1)?.media?.name).toBeTruthy();
});
