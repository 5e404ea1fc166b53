import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { type PgCluster, startPostgres } from './postgres.js';

let cluster: PgCluster | null = null;

/**
 * Builds the web app if needed and starts one PostgreSQL for the whole run; each test server gets
 * its own database in it.
 */
export async function setup(project: TestProject): Promise<void> {
  // Browser tests serve the built web app; build it when its sources changed.
  execFileSync(process.execPath, ['tools/ensure-built.mjs', 'web', 'widget'], { stdio: 'inherit' });
  cluster = await startPostgres();
  if (!cluster) {
    if (process.env.CI === 'true') throw new Error('PostgreSQL is required in CI (apt-get install postgresql)');
    process.stderr.write(
      '\n\n  !!! PostgreSQL not found: PostgreSQL store tests are SKIPPED (install postgresql) !!!\n\n',
    );
  }
  project.provide('pgUrl', cluster?.url ?? null);
}

export async function teardown(): Promise<void> {
  cluster?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}
