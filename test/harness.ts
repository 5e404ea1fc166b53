import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type Config, type KurierApp, loadConfig } from '@kurier/server';
import pg from 'pg';
import { inject } from 'vitest';

/** The databases every store-level suite runs against. */
export const DIALECTS = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof DIALECTS)[number];

/** True when this dialect can run here (PostgreSQL only when the global setup started one). */
export function dialectAvailable(dialect: TestDialect): boolean {
  return dialect === 'sqlite' || inject('pgUrl') !== null;
}

/** A real Kurier server on an ephemeral loopback port. */
export interface TestServer {
  kurier: KurierApp;
  url: string;
  config: Config;
  close(): Promise<void>;
}

let dbCounter = 0;

async function freshPostgresDatabase(): Promise<string> {
  const base = inject('pgUrl');
  if (!base) throw new Error('PostgreSQL is not available');
  const name = `kurier_${process.pid}_${++dbCounter}_${Date.now()}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  return base.replace(/\/[^/]*$/, `/${name}`);
}

/** Config for a test server: temp data dir, port 0, quiet logs. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    // Only made when no directory is given: one made and then overridden was left behind.
    dataDir: overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'kurier-test-')),
    databaseUrl: null,
    publicUrl: null,
    tls: null,
    logLevel: 'silent',
    trustProxy: false,
    sessionTtlMs: 30 * 86_400_000,
    loginRatePerMinute: 1000,
    wsFramesPerSecond: 1000,
    maxUploadBytes: 100 * 1024 * 1024,
    uploadsPerMinute: 1000,
    webDir: loadConfig({}).webDir,
    widgetDir: loadConfig({}).widgetDir,
    widgetVisitorsPerMinute: 1000,
    ...overrides,
  };
}

/** Starts a server on SQLite (default) or on a fresh PostgreSQL database. */
export async function startServer(opts: { dialect?: TestDialect; config?: Partial<Config> } = {}): Promise<TestServer> {
  const databaseUrl = opts.dialect === 'postgres' ? await freshPostgresDatabase() : null;
  const config = testConfig({ databaseUrl, ...opts.config });
  const kurier = await buildApp(config);
  const address = await kurier.app.listen({ port: 0, host: '127.0.0.1' });
  return {
    kurier,
    url: address,
    config,
    async close() {
      await kurier.close();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
