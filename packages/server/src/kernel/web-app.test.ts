import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../../../test/harness.js';

describe('the web app is served by the server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('O7: app routes answer index.html with a strict CSP; assets are immutable; API 404s stay JSON', async () => {
    for (const path of ['/', '/login', '/chats/c_abc', '/settings', '/invite?token=x']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      // Plain HTTP here: upgrading requests would point the app at an https:// that does not exist.
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(await res.text()).toContain('<div id="root">');
    }
    const asset = readdirSync(join(server.config.webDir, 'assets')).find((f) => f.endsWith('.js'));
    const res = await fetch(`${server.url}/assets/${asset}`);
    // Unread bodies hold their connection open, and with it the server's graceful close.
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    const missing = await fetch(`${server.url}/api/v1/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const guest = await fetch(`${server.url}/c/guest-link`);
    expect(guest.status).toBe(404);
    await guest.arrayBuffer();
    const worker = await fetch(`${server.url}/sw.js`);
    expect(worker.headers.get('cache-control')).toBe('no-cache');
    await worker.arrayBuffer();
  });
});
