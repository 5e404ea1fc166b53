import type { TestProject } from 'vitest/node';
import { type PgCluster, startPostgres } from './postgres.js';

let cluster: PgCluster | null = null;

/** Starts one PostgreSQL for the whole run; each test server gets its own database in it. */
export async function setup(project: TestProject): Promise<void> {
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
