import { buildApp } from './app.js';
import type { Config } from './config.js';

/** Starts Kurier and keeps it running until SIGTERM/SIGINT; the only code that listens. */
export async function serve(config: Config): Promise<void> {
  const kurier = await buildApp(config);
  const { app } = kurier;
  await app.listen({ port: config.port, host: config.host });

  const setupLink = await kurier.accounts.setupLink();
  if (setupLink) {
    // Printed, not logged: the link is a one-time secret for the operator at the console.
    process.stdout.write(
      `\n  Kurier has no owner yet. Open this one-time setup link:\n\n    ${setupLink}\n\n  or run: npx kurier owner create --username <name>\n\n`,
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining connections and commits');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    kurier.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
