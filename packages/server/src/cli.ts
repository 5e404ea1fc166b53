import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SetupRequest } from '@kurier/protocol';
import SQLite from 'better-sqlite3';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { serve } from './main.js';

const HELP = `kurier — self-hosted business messenger

  kurier serve                         start the server (default)
  kurier owner create --username NAME [--display-name NAME]
                                       create the owner; password from KURIER_OWNER_PASSWORD or stdin
  kurier backup FILE                   consistent online backup of the SQLite database
  kurier help

Environment: PORT, HOST, KURIER_DATA_DIR, KURIER_DATABASE_URL, KURIER_TLS_CERT, KURIER_TLS_KEY,
KURIER_PUBLIC_URL, KURIER_LOG_LEVEL (see docs/operations.md).`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function ownerCreate(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { username: { type: 'string' }, 'display-name': { type: 'string' } } });
  if (!values.username) throw new Error('--username is required');
  const password = process.env.KURIER_OWNER_PASSWORD ?? (await readStdin());
  const kurier = await buildApp({ ...loadConfig(), logLevel: 'silent' });
  try {
    const parsed = SetupRequest.omit({ token: true }).safeParse({
      username: values.username,
      displayName: values['display-name'] ?? values.username,
      password,
    });
    if (!parsed.success) {
      throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    }
    const input = parsed.data;
    const owner = await kurier.accounts.createOwner(input);
    process.stdout.write(`owner ${owner.username} created (${owner.id})\n`);
  } finally {
    await kurier.close();
  }
}

async function backup(args: string[]): Promise<void> {
  const target = args[0];
  if (!target) throw new Error('usage: kurier backup FILE');
  const config = loadConfig();
  if (config.databaseUrl) throw new Error('PostgreSQL: use pg_dump (see docs/operations.md)');
  // The SQLite online backup API copies a consistent snapshot while the server keeps writing.
  const db = new SQLite(join(config.dataDir, 'kurier.db'), { readonly: true, fileMustExist: true });
  try {
    await db.backup(target);
    process.stdout.write(`backup written to ${target}\n`);
  } finally {
    db.close();
  }
}

/** Entry point of the `kurier` command. */
export async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(loadConfig());
    case 'owner':
      if (rest[0] !== 'create') throw new Error('usage: kurier owner create --username NAME');
      return ownerCreate(rest.slice(1));
    case 'backup':
      return backup(rest);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${HELP}\n`);
      return;
    default:
      throw new Error(`unknown command "${command}"\n\n${HELP}`);
  }
}
