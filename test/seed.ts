import type { AuthResponse } from '@kurier/protocol';
import { KurierClient } from '@kurier/sdk';
import type { KurierApp } from '@kurier/server';
import WebSocket from 'ws';

const PASSWORD = 'correct horse battery staple';

/** One seeded person: their session and a client logged in with it. */
export interface Seeded {
  auth: AuthResponse;
  client: KurierClient;
}

/**
 * Creates the owner through the setup link and everyone else through invitations, the way a
 * company fills a fresh Kurier (for benchmarks and screenshots; tests use test/factories.ts).
 */
export async function seedPeople(
  kurier: KurierApp,
  { baseUrl, people }: { baseUrl: string; people: [username: string, displayName: string][] },
): Promise<Seeded[]> {
  const client = (token?: string) =>
    new KurierClient({ baseUrl, WebSocket: WebSocket as never, ...(token ? { token } : {}) });
  const [owner, ...rest] = people;
  if (!owner) return [];
  const setup = new URL((await kurier.accounts.setupLink()) ?? '').searchParams.get('token') ?? '';
  const ownerAuth = await client().setup({
    token: setup,
    username: owner[0],
    displayName: owner[1],
    password: PASSWORD,
  });
  const seeded: Seeded[] = [{ auth: ownerAuth, client: client(ownerAuth.token) }];
  for (const [username, displayName] of rest) {
    const invite = await seeded[0]?.client.request<{ token: string }>('POST', '/api/v1/invites', { role: 'member' });
    const auth = await client().acceptInvite({ token: invite?.token ?? '', username, displayName, password: PASSWORD });
    seeded.push({ auth, client: client(auth.token) });
  }
  return seeded;
}
